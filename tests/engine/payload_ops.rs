//! Payload operations (set, overwrite, delete keys, clear; by ids and by
//! filter), delete by filter, count with a filter, and scroll of points
//! with a filter, an order and a cursor: each against a model of the
//! collection, maintained in the field indexes, replayed identically after
//! reopen, and scroll cursors stable under concurrent writes.

use crate::common::util::{Rng, TempDir};
use quiver::{
    Collection, CollectionConfig, Cursor, Database, DatabaseOptions, Error, FieldKind, Filter,
    Metric, OrderBy, PayloadChange, Point, ScrollRequest, SegmentLimits, Selection,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const DIM: usize = 8;
const N: u64 = 1500;

fn options() -> DatabaseOptions {
    DatabaseOptions {
        limits: SegmentLimits {
            appendable_points: 400,
            ..SegmentLimits::default()
        },
        ..DatabaseOptions::default()
    }
}

fn vector(id: u64) -> Vec<f32> {
    (0..DIM)
        .map(|d| ((id * 31 + d as u64 * 7) % 97) as f32 + 1.0)
        .collect()
}

fn payload(id: u64) -> Value {
    json!({
        "group": format!("g{}", id % 7),
        "n": id % 100,
        "score": (id % 13) as f64 / 4.0,
        "when": format!("2024-{:02}-{:02}T{:02}:00:00Z", 1 + id % 12, 1 + id % 28, id % 24),
        "tags": [{"name": format!("t{}", id % 5)}, {"name": "all"}],
        "meta": {"keep": true, "drop": id},
    })
}

/// A collection of `N` points (several sealed segments, a frozen or
/// appendable one) with indexes on `group`, `n` and `when`.
fn populated(tmp: &TempDir) -> (Database, Arc<Collection>, BTreeMap<u64, Value>) {
    let db = Database::open_with(tmp.join("db"), options()).unwrap();
    let c = db
        .create_collection("p", CollectionConfig::new(DIM, Metric::Euclidean))
        .unwrap();
    c.create_field_index("group", FieldKind::Keyword).unwrap();
    c.create_field_index("n", FieldKind::Integer).unwrap();
    c.create_field_index("when", FieldKind::Datetime).unwrap();
    let mut model = BTreeMap::new();
    for start in (0..N).step_by(300) {
        let pts: Vec<Point> = (start..(start + 300).min(N))
            .map(|id| {
                model.insert(id, payload(id));
                Point::new(id, vector(id)).with_payload(payload(id))
            })
            .collect();
        c.upsert(&pts).unwrap();
        if start == 600 {
            c.wait_optimized().unwrap();
        }
    }
    (db, c, model)
}

/// Every point's payload and vector as the model says.
fn check_model(c: &Collection, model: &BTreeMap<u64, Option<Value>>, what: &str) {
    assert_eq!(c.count().unwrap(), model.len(), "{what}: count");
    let ids: Vec<u64> = model.keys().copied().collect();
    let got = c.get(&ids).unwrap();
    for (p, (id, want)) in got.iter().zip(model) {
        let p = p
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: point {id} missing"));
        assert_eq!(&p.payload, want, "{what}: payload of {id}");
        assert_eq!(p.vector, vector(*id), "{what}: vector of {id}");
    }
    // The indexes agree with the payloads.
    for f in [
        Filter::eq("group", "g3"),
        Filter::lt("n", 10),
        Filter::gte("when", "2024-06-01T00:00:00+02:00"),
        Filter::eq("tags[].name", "t2"),
        Filter::exists("extra"),
    ] {
        let want: Vec<u64> = model
            .iter()
            .filter(|(id, p)| f.matches_point(**id, p.as_ref()))
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(
            c.count_where(Some(&f)).unwrap(),
            want.len(),
            "{what}: count {f}"
        );
        assert_eq!(
            c.scroll(None, 100_000, Some(&f)).unwrap().ids,
            want,
            "{what}: scroll {f}"
        );
    }
}

fn apply_model(
    model: &mut BTreeMap<u64, Option<Value>>,
    sel: &Selection,
    edit: impl Fn(&mut Option<Value>),
) -> usize {
    let mut n = 0;
    for (id, p) in model.iter_mut() {
        let hit = match sel {
            Selection::Ids(ids) => ids.contains(id),
            Selection::Filter(f) => f.matches_point(*id, p.as_ref()),
        };
        if hit {
            edit(p);
            n += 1;
        }
    }
    n
}

#[test]
fn payload_operations_by_ids_and_by_filter() {
    let tmp = TempDir::new("payload-ops");
    let (db, c, start) = populated(&tmp);
    let mut model: BTreeMap<u64, Option<Value>> =
        start.into_iter().map(|(k, v)| (k, Some(v))).collect();
    let by_ids = Selection::Ids(vec![3, 700, 1499, 99_999, 3]);
    let by_filter = Selection::Filter(Filter::and(vec![
        Filter::eq("group", "g2"),
        Filter::lt("n", 50),
    ]));
    let extra = json!({"extra": "x", "n": 1000});
    let five = json!({"group": "five", "when": "2030-01-01"});
    let back = json!({"back": true});
    let steps: Vec<(&str, Selection, PayloadChange<'_>)> = vec![
        ("set by ids", by_ids.clone(), PayloadChange::Set(&extra)),
        (
            "set by filter",
            by_filter.clone(),
            PayloadChange::Set(&extra),
        ),
        (
            "delete keys by filter",
            Selection::Filter(Filter::eq("extra", "x")),
            PayloadChange::DeleteKeys(&["meta.drop", "tags[].name", "missing.key"]),
        ),
        (
            "overwrite by ids",
            Selection::Ids(vec![10, 11]),
            PayloadChange::OverwriteJson(br#"{"group":"new",  "n":5}"#),
        ),
        (
            "overwrite by filter",
            Selection::Filter(Filter::eq("group", "g5")),
            PayloadChange::Overwrite(&five),
        ),
        (
            "clear by filter",
            Selection::Filter(Filter::between("n", 20, 22)),
            PayloadChange::Clear,
        ),
        (
            "clear by ids",
            Selection::Ids(vec![0, 1]),
            PayloadChange::Clear,
        ),
        (
            "set on cleared",
            Selection::Ids(vec![0]),
            PayloadChange::Set(&back),
        ),
    ];
    for (what, sel, change) in &steps {
        let want = apply_model(&mut model, sel, |p| match change {
            PayloadChange::Set(v) => {
                let mut m = p.take().unwrap_or_else(|| json!({}));
                for (k, x) in v.as_object().unwrap() {
                    m[k] = x.clone();
                }
                *p = Some(m);
            }
            PayloadChange::Overwrite(v) => *p = Some((*v).clone()),
            PayloadChange::OverwriteJson(b) => *p = Some(serde_json::from_slice(b).unwrap()),
            PayloadChange::DeleteKeys(keys) => {
                if let Some(v) = p {
                    for k in *keys {
                        quiver::filter::FieldPath::parse(k).unwrap().remove_from(v);
                    }
                }
            }
            PayloadChange::Clear => *p = None,
        });
        let got = c.update_payload(sel, *change).unwrap();
        assert_eq!(got, want, "{what}: points applied to");
        assert!(want > 0, "{what}: the step selects something");
        check_model(&c, &model, what);
    }
    // Overwrite keeps the bytes as given.
    let raw = c.get_raw(&[10]).unwrap();
    assert_eq!(
        raw[0].as_ref().unwrap().payload.as_deref(),
        Some(&br#"{"group":"new",  "n":5}"#[..])
    );

    // Delete by filter.
    let f = Filter::or(vec![Filter::eq("group", "g1"), Filter::eq("back", true)]);
    let want: Vec<u64> = model
        .iter()
        .filter(|(id, p)| f.matches_point(**id, p.as_ref()))
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(c.delete_where(&f).unwrap(), want.len());
    for id in &want {
        model.remove(id);
    }
    check_model(&c, &model, "delete by filter");
    assert_eq!(c.delete_where(&f).unwrap(), 0);

    // The log replays to the same state, and so do sealed segments.
    drop(c);
    db.close().unwrap();
    let db = Database::open_with(tmp.join("db"), options()).unwrap();
    let c = db.collection("p").unwrap();
    check_model(&c, &model, "after reopen");
    c.optimize().unwrap();
    check_model(&c, &model, "after optimize");
    drop(c);
    db.close().unwrap();
    let db = Database::open_with(tmp.join("db"), options()).unwrap();
    let c = db.collection("p").unwrap();
    check_model(&c, &model, "after optimize and reopen");
}

#[test]
fn bad_payload_operations_change_nothing() {
    let tmp = TempDir::new("payload-bad");
    let (_db, c, _) = populated(&tmp);
    let before = c.get(&[5]).unwrap();
    let ids = Selection::Ids(vec![5]);
    let (arr, null, text) = (json!([1]), json!(null), json!("x"));
    let cases: Vec<(PayloadChange<'_>, &str)> = vec![
        (
            PayloadChange::Set(&arr),
            "payload must be a JSON object, got an array",
        ),
        (
            PayloadChange::Set(&null),
            "payload must be a JSON object, got null",
        ),
        (
            PayloadChange::Overwrite(&text),
            "payload must be a JSON object, got a string",
        ),
        (
            PayloadChange::OverwriteJson(b"{oops"),
            "payload of the update: key must be a string",
        ),
        (PayloadChange::OverwriteJson(b"[]"), "must be a JSON object"),
        (
            PayloadChange::DeleteKeys(&["a..b"]),
            "keys[0]: empty segment in field path \"a..b\"",
        ),
    ];
    for (change, want) in cases {
        match c.update_payload(&ids, change) {
            Err(Error::InvalidArgument(m)) => assert!(m.contains(want), "{m}"),
            other => panic!("{change:?}: {other:?}"),
        }
    }
    let bad_filter = Selection::Filter(Filter::eq("a..b", 1));
    assert!(matches!(
        c.update_payload(&bad_filter, PayloadChange::Clear),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        c.delete_where(&Filter::eq("", 1)),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(c.get(&[5]).unwrap(), before);
    assert_eq!(c.count().unwrap(), N as usize);
    // Ids that do not exist: nothing to do.
    assert_eq!(
        c.update_payload(&Selection::Ids(vec![N + 5]), PayloadChange::Clear)
            .unwrap(),
        0
    );
}

/// The model's ids matching `f`, ordered by the sort value of `field`.
fn ordered_truth(
    model: &BTreeMap<u64, Value>,
    f: Option<&Filter>,
    key: impl Fn(&Value) -> Option<i128>,
    desc: bool,
) -> Vec<u64> {
    let mut v: Vec<(i128, u64)> = model
        .iter()
        .filter(|(id, p)| f.is_none_or(|f| f.matches_point(**id, Some(p))))
        .filter_map(|(id, p)| key(p).map(|k| (if desc { -k } else { k }, *id)))
        .collect();
    v.sort();
    v.into_iter().map(|e| e.1).collect()
}

fn scroll_all(c: &Collection, req: &ScrollRequest) -> Vec<u64> {
    let mut req = req.clone();
    let mut out = Vec::new();
    loop {
        let page = c.scroll_points(&req).unwrap();
        assert!(page.points.len() <= req.limit);
        out.extend(page.points.iter().map(|p| p.id));
        match page.next {
            Some(cur) => {
                // Cursors go through their text form, as the C ABI hands them out.
                req.cursor = Some(Cursor::decode(&cur.encode()).unwrap());
            }
            None => return out,
        }
    }
}

#[test]
fn count_and_scroll_with_filter_order_and_cursor() {
    let tmp = TempDir::new("payload-scroll");
    let (_db, c, model) = populated(&tmp);
    let f = Filter::or(vec![Filter::eq("group", "g4"), Filter::lt("score", 1.0)]);
    let want_count = model
        .iter()
        .filter(|(id, p)| f.matches_point(**id, Some(p)))
        .count();
    assert_eq!(c.count_where(Some(&f)).unwrap(), want_count);
    assert_eq!(c.count_where(None).unwrap(), N as usize);
    let n_key = |p: &Value| p["n"].as_i64().map(i128::from);
    let when_key = |p: &Value| quiver::filter::parse_datetime(p["when"].as_str()?);
    for limit in [1, 7, 100, 5000] {
        for (filter, desc) in [
            (None, false),
            (Some(&f), false),
            (Some(&f), true),
            (None, true),
        ] {
            let base = ScrollRequest {
                filter: filter.cloned(),
                limit,
                ..Default::default()
            };
            let by_id = scroll_all(&c, &base);
            let want: Vec<u64> = model
                .iter()
                .filter(|(id, p)| filter.is_none_or(|f| f.matches_point(**id, Some(p))))
                .map(|(id, _)| *id)
                .collect();
            assert_eq!(by_id, want, "by id, limit {limit}");
            if limit < 7 {
                continue;
            }
            for (field, key) in [
                ("n", &n_key as &dyn Fn(&Value) -> Option<i128>),
                ("when", &when_key),
            ] {
                let req = ScrollRequest {
                    order_by: Some(OrderBy {
                        field: field.into(),
                        descending: desc,
                    }),
                    ..base.clone()
                };
                assert_eq!(
                    scroll_all(&c, &req),
                    ordered_truth(&model, filter, key, desc),
                    "by {field} desc {desc}, limit {limit}"
                );
            }
        }
    }
    // Vectors and payloads when asked.
    let page = c
        .scroll_points(&ScrollRequest {
            limit: 3,
            cursor: Some(Cursor::Id(10)),
            with_vectors: true,
            with_payload: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        page.points.iter().map(|p| p.id).collect::<Vec<_>>(),
        [10, 11, 12]
    );
    assert_eq!(page.points[0].vector, vector(10));
    let p: Value = serde_json::from_slice(page.points[0].payload.as_ref().unwrap()).unwrap();
    assert_eq!(p, payload(10));
    assert_eq!(page.next, Some(Cursor::Id(13)));
    // Errors.
    let order = |field: &str| ScrollRequest {
        limit: 5,
        order_by: Some(OrderBy {
            field: field.into(),
            descending: false,
        }),
        ..Default::default()
    };
    for (req, want) in [
        (
            order("group"),
            "order_by: field \"group\" has no integer, float or datetime index",
        ),
        (order("score"), "order_by: field \"score\" has no integer"),
        (
            ScrollRequest {
                cursor: Some(Cursor::Id(3)),
                ..order("n")
            },
            "cursor: a scroll by id's cursor was given to an ordered scroll",
        ),
        (
            ScrollRequest {
                limit: 0,
                ..Default::default()
            },
            "scroll limit must be at least 1",
        ),
    ] {
        match c.scroll_points(&req) {
            Err(Error::InvalidArgument(m)) => assert!(m.contains(want), "{m}"),
            other => panic!("{req:?}: {other:?}"),
        }
    }
    // A cursor belongs to its order.
    let asc = ScrollRequest {
        limit: 5,
        ..order("n")
    };
    let next = c.scroll_points(&asc).unwrap().next.unwrap();
    let mut desc = asc.clone();
    desc.order_by.as_mut().unwrap().descending = true;
    desc.cursor = Some(next.clone());
    match c.scroll_points(&desc) {
        Err(Error::InvalidArgument(m)) => assert!(
            m.contains("continues a scroll ordered by \"n\" ascending, not by \"n\" descending"),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
    let mut by_id = ScrollRequest {
        limit: 5,
        ..Default::default()
    };
    by_id.cursor = Some(next);
    assert!(matches!(
        c.scroll_points(&by_id),
        Err(Error::InvalidArgument(_))
    ));
    for bad in [
        "",
        "id:",
        "id:x",
        "ord:1",
        "ord:1:x",
        "ord:a:1:2:",
        "ord:x:1:2:n",
        "x:1",
    ] {
        assert!(
            matches!(Cursor::decode(bad), Err(Error::InvalidArgument(_))),
            "{bad}"
        );
    }
}

/// While writers add points and rewrite the payloads of others, a scroll
/// (by id, and ordered by `n`) returns every point that exists and keeps
/// its sort value throughout exactly once, in order.
#[test]
fn scroll_cursors_are_stable_under_concurrent_writes() {
    let tmp = TempDir::new("payload-scroll-writes");
    let (_db, c, model) = populated(&tmp);
    let stop = Arc::new(AtomicBool::new(false));
    // Writers touch ids >= N (new points) and the `extra` key of points
    // with n >= 90 (their sort value `n` stays).
    let writer = {
        let c = Arc::clone(&c);
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut rng = Rng::new(7);
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let id = N + rng.below(5000);
                let mut p = payload(id);
                p["n"] = json!(rng.below(100));
                c.upsert(&[Point::new(id, vector(id)).with_payload(p)])
                    .unwrap();
                c.update_payload(
                    &Selection::Filter(Filter::and(vec![
                        Filter::gte("n", 90),
                        Filter::lt("n", 92),
                    ])),
                    PayloadChange::Set(&json!({"extra": i})),
                )
                .unwrap();
                if i.is_multiple_of(10) {
                    c.delete(&[N + rng.below(5000)]).unwrap();
                }
                i += 1;
            }
            i
        })
    };
    for desc in [false, true] {
        for ordered in [false, true] {
            let req = ScrollRequest {
                limit: 37,
                order_by: ordered.then(|| OrderBy {
                    field: "n".into(),
                    descending: desc,
                }),
                with_payload: true,
                ..Default::default()
            };
            let mut seen = Vec::new();
            let mut cur = req.clone();
            loop {
                let page = c.scroll_points(&cur).unwrap();
                for p in &page.points {
                    let v: Value = serde_json::from_slice(p.payload.as_ref().unwrap()).unwrap();
                    seen.push((v["n"].as_i64().unwrap(), p.id));
                }
                match page.next {
                    Some(n) => cur.cursor = Some(n),
                    None => break,
                }
                std::thread::yield_now();
            }
            let stable: Vec<(i64, u64)> = seen.iter().copied().filter(|e| e.1 < N).collect();
            let mut want: Vec<(i64, u64)> = model
                .iter()
                .map(|(id, p)| (p["n"].as_i64().unwrap(), *id))
                .collect();
            if ordered {
                want.sort_by_key(|&(n, id)| (if desc { -n } else { n }, id));
            }
            assert_eq!(stable, want, "ordered {ordered} desc {desc}");
            // The whole page sequence is in order, new points included.
            let keys: Vec<(i64, u64)> = seen
                .iter()
                .map(|&(n, id)| {
                    if !ordered {
                        (0, id)
                    } else if desc {
                        (-n, id)
                    } else {
                        (n, id)
                    }
                })
                .collect();
            assert!(
                keys.windows(2).all(|w| w[0] < w[1]),
                "ordered {ordered}: out of order"
            );
        }
    }
    stop.store(true, Ordering::Relaxed);
    let rounds = writer.join().unwrap();
    assert!(rounds > 0);
}
