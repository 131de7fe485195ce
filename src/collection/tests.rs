//! The point-index extension point: an index kind plugged in through
//! `IndexKind` sees every write of the appendable segment and is built,
//! saved and reopened with every sealed segment, without the write path or
//! the optimizer knowing what it is.

use super::{Collection, OptimizerHandle, Pool, SegmentLimits, SyncPolicy};
use crate::collection::config::CollectionConfig;
use crate::distance::Metric;
use crate::error::Result;
use crate::segment::component::{Component, IndexKind, PointIndex, PointSource};
use std::path::Path;
use std::sync::Arc;

/// Indexes which offsets hold a payload; saves the count in `count.idx`.
struct CountIndex {
    with_payload: Vec<bool>,
}

impl Component for CountIndex {
    fn name(&self) -> &'static str {
        "count"
    }
    fn disk_bytes(&self) -> u64 {
        0
    }
    fn ram_bytes(&self) -> u64 {
        self.with_payload.capacity() as u64
    }
    fn verify(&self) -> Result<()> {
        Ok(())
    }
}

impl PointIndex for CountIndex {
    fn on_upsert(&mut self, offset: u32, payload: Option<&[u8]>) -> Result<()> {
        assert_eq!(
            offset as usize,
            self.with_payload.len(),
            "offsets only grow"
        );
        self.with_payload.push(payload.is_some());
        Ok(())
    }
    fn on_delete(&mut self, offset: u32) {
        self.with_payload[offset as usize] = false;
    }
    fn save(&self, dir: &Path) -> Result<()> {
        let n = self.with_payload.iter().filter(|&&b| b).count();
        std::fs::write(dir.join("count.idx"), n.to_string()).unwrap();
        Ok(())
    }
}

struct CountKind;

impl IndexKind for CountKind {
    fn name(&self) -> &'static str {
        "count"
    }
    fn empty(&self) -> Box<dyn PointIndex> {
        Box::new(CountIndex {
            with_payload: Vec::new(),
        })
    }
    fn open_or_build(
        &self,
        dir: &Path,
        points: &dyn PointSource,
    ) -> Result<(Box<dyn PointIndex>, Option<String>)> {
        let with_payload = (0..points.len() as u32)
            .map(|o| points.payload_bytes(o).map(|p| p.is_some()))
            .collect::<Result<Vec<_>>>()?;
        let ix = CountIndex { with_payload };
        let why = match std::fs::read_to_string(dir.join("count.idx")) {
            Ok(_) => None,
            Err(_) => {
                ix.save(dir)?;
                Some("count.idx is missing".to_owned())
            }
        };
        Ok((Box::new(ix), why))
    }
}

#[test]
fn an_index_kind_plugs_into_writes_sealing_and_open() {
    let dir = std::env::temp_dir().join(format!("qv-index-kind-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (pool, threads) = Pool::start(1, 1, &dir).unwrap();
    let open = || {
        let c = Arc::new(
            Collection::open(
                &dir,
                "c",
                SyncPolicy::EveryBatch,
                SegmentLimits::default(),
                OptimizerHandle::new(&pool),
                vec![Arc::new(CountKind)],
            )
            .unwrap(),
        );
        pool.register(&c);
        c
    };
    Collection::create_files(&dir, &CollectionConfig::new(2, Metric::Euclidean)).unwrap();
    let c = open();
    let payloads: Vec<Option<&[u8]>> = vec![Some(b"{\"a\":1}"), None, Some(b"{}")];
    c.upsert_json(&[1, 2, 3], &[0.0, 1.0, 1.0, 0.0, 1.0, 1.0], &payloads)
        .unwrap();
    c.delete(&[3]).unwrap();
    {
        let st = c.state.read();
        let ram: u64 = st.active.ram_bytes().2;
        assert!(ram >= 3, "the appendable segment's index saw the writes");
    }
    c.optimize().unwrap();
    {
        let st = c.state.read();
        assert_eq!(st.sealed.len(), 1);
        let seg = &st.sealed[0].seg;
        assert_eq!(seg.indexes.len(), 1, "the sealed segment has the index");
        let saved = std::fs::read_to_string(seg.dir.join("count.idx")).unwrap();
        assert_eq!(saved, "1", "built from the sealed points (3 was vacuumed)");
        let names: Vec<String> = c
            .stats()
            .unwrap()
            .components
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert!(names.iter().any(|n| n == "count"), "{names:?}");
    }
    let seg_dir = c.state.read().sealed[0].seg.dir.clone();
    c.close().unwrap();
    drop(c);
    std::fs::remove_file(seg_dir.join("count.idx")).unwrap();
    let c = open();
    let rebuilt = c.stats().unwrap().rebuilt_on_open;
    assert!(
        rebuilt.iter().any(|r| r.contains("count index rebuilt")),
        "{rebuilt:?}"
    );
    c.close().unwrap();
    pool.stop();
    for t in threads {
        t.join().unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The pruned parse keeps exactly the asked keys, whatever the escapes,
/// and refuses what is not one JSON object.
#[test]
fn parse_stored_keys_keeps_only_the_asked_fields() {
    use super::ops::{parse_stored, parse_stored_keys};
    use serde_json::json;
    let text =
        br#"{"text": "long \"quoted\" text", "c\u0061t": "x", "n": {"a": [1, 2]}, "z": null}"#;
    let v = parse_stored_keys(text, &["cat", "n", "missing"]).unwrap();
    assert_eq!(v, json!({"cat": "x", "n": {"a": [1, 2]}}));
    assert_eq!(parse_stored_keys(text, &[]).unwrap(), json!({}));
    let full = parse_stored(text).unwrap();
    assert_eq!(
        parse_stored_keys(text, &["cat", "n", "text", "z"]).unwrap(),
        full
    );
    for bad in [&b"[1]"[..], b"{\"a\": 1} x", b"{\"a\": }", b""] {
        assert!(
            parse_stored_keys(bad, &["a"]).is_err(),
            "{:?}",
            std::str::from_utf8(bad)
        );
    }
}
