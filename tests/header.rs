//! The committed C header must be the one cbindgen generates from the
//! sources. `make header` refreshes it (it runs the ignored test below).

use std::path::Path;

fn generated() -> String {
    std::fs::read_to_string(Path::new(env!("OUT_DIR")).join("quiver.h"))
        .expect("build.rs writes quiver.h")
}

fn committed_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("include/quiver.h")
}

#[test]
fn header_is_current() {
    let committed = std::fs::read_to_string(committed_path()).unwrap_or_default();
    assert!(
        committed == generated(),
        "include/quiver.h differs from the header generated from src/ffi/; run `make header` and commit it"
    );
}

#[test]
fn header_exports_only_qv_names_and_the_crate_version() {
    let h = generated();
    for line in h.lines().filter(|l| l.starts_with("#define ")) {
        let name = line.split_whitespace().nth(1).unwrap_or("");
        assert!(
            name.starts_with("QV_") || name == "QUIVER_H",
            "unexpected macro in header: {line}"
        );
    }
    let version = format!("#define QV_VERSION \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(
        h.contains(&version),
        "header lacks `{version}`: update after_includes in cbindgen.toml"
    );
    for line in h.lines().filter(|l| l.starts_with("typedef struct ")) {
        let name = line
            .trim_end_matches(';')
            .split_whitespace()
            .last()
            .unwrap_or("");
        assert!(
            name.starts_with("qv_") || line.ends_with('{'),
            "unexpected type in header: {line}"
        );
    }
}

/// Writes the generated header over include/quiver.h (`make header`).
#[test]
#[ignore]
fn write_header() {
    std::fs::write(committed_path(), generated()).expect("write include/quiver.h");
}
