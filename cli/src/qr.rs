//! The setup QR code drawn in the terminal with half-block characters.

use qrcode::render::unicode::Dense1x2;
use qrcode::QrCode;

/// The QR code of `text` as terminal lines, or `None` if it cannot be encoded (the QR string
/// is still printed as text).
pub(crate) fn draw(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}
