//! uniffi's generator: `uniffi-bindgen generate --library LIB --language kotlin|swift|python
//! --out-dir DIR`. A binary of its own so that the library's build never compiles it.

fn main() {
    uniffi::uniffi_bindgen_main()
}
