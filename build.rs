//! Generates the C header from `src/ffi/` with cbindgen into `$OUT_DIR`.
//! The committed copy is `include/quiver.h`; the `header_is_current` test
//! fails when it differs, and `make header` refreshes it.

fn main() {
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src/ffi");
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let config = cbindgen::Config::from_file(format!("{crate_dir}/cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(format!("{out_dir}/quiver.h"));
        }
        Err(e) => panic!("cbindgen failed to generate quiver.h: {e}"),
    }
}
