/// A vendor identifier (16 bits), carried in the QR payload and the long manual code
/// `[SETUP-10]`, `[SETUP-14]`. It names the maker whose attestation root certified the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VendorId(pub u16);

/// A product identifier (16 bits), assigned by the vendor, carried beside the [`VendorId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductId(pub u16);
