use super::*;

/// Checks ids exactly and scores to f32 precision against `expected`
/// (computed in f64 by the test).
#[track_caller]
fn assert_hits(got: &[(u64, f32)], expected: &[(u64, f64)]) {
    let ids: Vec<u64> = got.iter().map(|h| h.0).collect();
    let want: Vec<u64> = expected.iter().map(|h| h.0).collect();
    assert_eq!(ids, want, "ids of {got:?}");
    for (g, e) in got.iter().zip(expected) {
        let tol = 1e-6 * e.1.abs().max(1.0);
        assert!(
            (f64::from(g.1) - e.1).abs() <= tol,
            "id {}: got {}, expected {} (all: {got:?})",
            g.0,
            g.1,
            e.1
        );
    }
}

#[track_caller]
fn invalid(r: Result<Vec<(u64, f32)>>) -> String {
    match r {
        Err(Error::InvalidArgument(m)) => m,
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

const RRF: Fusion = Fusion::Rrf { k: 60.0 };
const ALL: [Fusion; 4] = [RRF, Fusion::RelativeScore, Fusion::Dbsf, Fusion::Weighted];

#[test]
fn rrf_matches_the_formula() {
    let dense = [(1, 0.9), (2, 0.8), (3, 0.7)];
    let dist = [(3, 0.1), (4, 0.2), (1, 0.5)];
    let got = fuse(
        &[
            Branch::new(&dense, true),
            Branch::new(&dist, false).with_weight(2.0),
        ],
        RRF,
        10,
    )
    .unwrap();
    assert_hits(
        &got,
        &[
            (3, 1.0 / 63.0 + 2.0 / 61.0),
            (1, 1.0 / 61.0 + 2.0 / 63.0),
            (4, 2.0 / 62.0),
            (2, 1.0 / 62.0),
        ],
    );
    // another k
    let got = fuse(&[Branch::new(&dense, true)], Fusion::Rrf { k: 1.0 }, 10).unwrap();
    assert_hits(&got, &[(1, 0.5), (2, 1.0 / 3.0), (3, 0.25)]);
}

#[test]
fn relative_score_matches_the_formula() {
    let a = [(1, 10.0), (2, 6.0), (3, 2.0)]; // normalised 1, 0.5, 0
    let b = [(2, 1.0), (3, 3.0), (4, 5.0)]; // distances: normalised 1, 0.5, 0
    let got = fuse(
        &[Branch::new(&a, true), Branch::new(&b, false)],
        Fusion::RelativeScore,
        10,
    )
    .unwrap();
    assert_hits(&got, &[(2, 1.5), (1, 1.0), (3, 0.5), (4, 0.0)]);

    // weights scale the normalised scores
    let got = fuse(
        &[
            Branch::new(&a, true).with_weight(3.0),
            Branch::new(&b, false).with_weight(0.5),
        ],
        Fusion::RelativeScore,
        10,
    )
    .unwrap();
    assert_hits(&got, &[(1, 3.0), (2, 2.0), (3, 0.25), (4, 0.0)]);

    // all-equal scores and a single hit give 1
    let eq = [(5, 0.1), (6, 0.1), (7, 0.1)];
    let one = [(8, -4.0)];
    let got = fuse(
        &[Branch::new(&eq, true), Branch::new(&one, false)],
        Fusion::RelativeScore,
        10,
    )
    .unwrap();
    assert_hits(&got, &[(5, 1.0), (6, 1.0), (7, 1.0), (8, 1.0)]);
}

#[test]
fn dbsf_matches_the_formula() {
    // a: mean 2, σ 1 → (s + 1) / 6
    let a = [(1, 3.0), (2, 1.0)];
    // b (distances): oriented 0, -4, -8; mean -4, σ = sqrt(32/3)
    let b = [(2, 0.0), (3, 4.0), (4, 8.0)];
    let got = fuse(
        &[Branch::new(&a, true), Branch::new(&b, false)],
        Fusion::Dbsf,
        10,
    )
    .unwrap();
    let sigma = (32.0f64 / 3.0).sqrt();
    let nb = |o: f64| (o - (-4.0 - 3.0 * sigma)) / (6.0 * sigma);
    assert_hits(
        &got,
        &[
            (2, 2.0 / 6.0 + nb(0.0)),
            (1, 4.0 / 6.0),
            (3, nb(-4.0)),
            (4, nb(-8.0)),
        ],
    );
    assert!((nb(-4.0) - 0.5).abs() < 1e-12);

    // Clamping: one outlier among 11 hits lies sqrt(10) σ from the mean.
    // Ten 0s and one 1: mean 1/11, σ = sqrt(10)/11.
    let mut hi: Vec<(u64, f32)> = (1..=10).map(|id| (id, 0.0)).collect();
    hi.push((11, 1.0));
    let mut lo: Vec<(u64, f32)> = (21..=30).map(|id| (id, 0.0)).collect();
    lo.push((31, 1.0)); // the worst distance
    let got = fuse(
        &[Branch::new(&hi, true), Branch::new(&lo, false)],
        Fusion::Dbsf,
        100,
    )
    .unwrap();
    let r10 = 10.0f64.sqrt();
    let zero_hi = (3.0 - 1.0 / r10) / 6.0; // a 0 is 1/sqrt(10) σ below the mean
    let zero_lo = (3.0 + 1.0 / r10) / 6.0; // an oriented 0 is above it
    let mut expected = vec![(11, 1.0)]; // (3 + sqrt(10)) / 6 > 1, clamped
    expected.extend((21..=30).map(|id| (id, zero_lo)));
    expected.extend((1..=10).map(|id| (id, zero_hi)));
    expected.push((31, 0.0)); // (3 - sqrt(10)) / 6 < 0, clamped
    assert_hits(&got, &expected);

    // σ = 0 gives 1 to each hit (even where the computed mean of the
    // equal values is not exactly them)
    let eq = [(5, 0.1), (6, 0.1), (7, 0.1)];
    let got = fuse(
        &[Branch::new(&eq, false).with_weight(2.0)],
        Fusion::Dbsf,
        10,
    )
    .unwrap();
    assert_hits(&got, &[(5, 2.0), (6, 2.0), (7, 2.0)]);
}

#[test]
fn weighted_matches_the_formula() {
    let a = [(1, 0.8), (2, 0.4)];
    let b = [(2, 0.25), (3, 1.5)]; // distances, negated
    let got = fuse(
        &[
            Branch::new(&a, true).with_weight(0.5),
            Branch::new(&b, false).with_weight(2.0),
        ],
        Fusion::Weighted,
        10,
    )
    .unwrap();
    assert_hits(
        &got,
        &[
            (1, 0.5 * 0.8f32 as f64),
            (2, 0.5 * 0.4f32 as f64 - 2.0 * 0.25),
            (3, -3.0),
        ],
    );
}

#[test]
fn distance_branches_are_oriented() {
    // Given in the order the branch returned them, best (smallest) first.
    let dist = [(9, 0.1), (8, 0.5), (7, 2.0)];
    for f in ALL {
        let got = fuse(&[Branch::new(&dist, false)], f, 10).unwrap();
        let ids: Vec<u64> = got.iter().map(|h| h.0).collect();
        assert_eq!(ids, [9, 8, 7], "{f:?}");
    }
    // The score-based fusions go by the scores, not the positions.
    let shuffled = [(8, 0.5), (7, 2.0), (9, 0.1)];
    for f in [Fusion::RelativeScore, Fusion::Dbsf, Fusion::Weighted] {
        let got = fuse(&[Branch::new(&shuffled, false)], f, 10).unwrap();
        let ids: Vec<u64> = got.iter().map(|h| h.0).collect();
        assert_eq!(ids, [9, 8, 7], "{f:?}");
    }
    let got = fuse(&[Branch::new(&shuffled, false)], Fusion::RelativeScore, 10).unwrap();
    assert_hits(&got, &[(9, 1.0), (8, 1.5 / 1.9), (7, 0.0)]);
    // The same scores, higher-is-better, reverse the order.
    let got = fuse(&[Branch::new(&dist, true)], Fusion::Weighted, 10).unwrap();
    let ids: Vec<u64> = got.iter().map(|h| h.0).collect();
    assert_eq!(ids, [7, 8, 9]);
}

#[test]
fn zero_weight_branch_contributes_nothing() {
    let a = [(1, 0.9), (2, 0.5), (3, 0.1)];
    let z = [(3, 100.0), (4, 50.0)];
    for f in ALL {
        let alone = fuse(&[Branch::new(&a, true)], f, 10).unwrap();
        let with = fuse(
            &[
                Branch::new(&a, true),
                Branch::new(&z, true).with_weight(0.0),
            ],
            f,
            10,
        )
        .unwrap();
        // Same scores for a's ids; 4 is a candidate with score 0.
        for &(id, s) in &alone {
            let w = with.iter().find(|h| h.0 == id).unwrap();
            assert_eq!(w.1, s, "{f:?} id {id}");
        }
        let four = with.iter().find(|h| h.0 == 4).unwrap();
        assert_eq!(four.1.to_bits(), 0.0f32.to_bits(), "{f:?}");
        assert_eq!(with.len(), 4);
    }
}

#[test]
fn weights_scale_rrf() {
    let a = [(1, 0.9), (2, 0.5), (3, 0.1)];
    let one = fuse(&[Branch::new(&a, true)], RRF, 10).unwrap();
    let three = fuse(&[Branch::new(&a, true).with_weight(3.0)], RRF, 10).unwrap();
    for (o, t) in one.iter().zip(&three) {
        assert_eq!(o.0, t.0);
        assert!((f64::from(t.1) - 3.0 * f64::from(o.1)).abs() < 1e-7);
    }
    // A heavier second branch wins the disagreement.
    let b = [(3, 0.9), (2, 0.5), (1, 0.1)];
    let got = fuse(
        &[
            Branch::new(&a, true),
            Branch::new(&b, true).with_weight(1.5),
        ],
        RRF,
        1,
    )
    .unwrap();
    assert_hits(&got, &[(3, 1.0 / 63.0 + 1.5 / 61.0)]);
}

#[test]
fn ties_are_broken_by_id() {
    let a = [(5, 1.0), (3, 0.5)];
    let b = [(3, 1.0), (5, 0.5)];
    for f in ALL {
        let got = fuse(&[Branch::new(&a, true), Branch::new(&b, true)], f, 10).unwrap();
        assert_eq!(got[0].0, 3, "{f:?}");
        assert_eq!(got[1].0, 5, "{f:?}");
        assert_eq!(got[0].1, got[1].1, "{f:?}");
    }
    // All weights 0: everything ties at 0, ascending ids.
    let got = fuse(
        &[
            Branch::new(&[(9, 1.0), (4, 0.5)], true).with_weight(0.0),
            Branch::new(&[(7, 1.0), (2, 0.5)], false).with_weight(0.0),
        ],
        RRF,
        10,
    )
    .unwrap();
    assert_eq!(got, [(2, 0.0), (4, 0.0), (7, 0.0), (9, 0.0)]);
    // A negated zero distance ties with a zero similarity, and is +0.0.
    let got = fuse(
        &[
            Branch::new(&[(8, 0.0)], true),
            Branch::new(&[(6, 0.0)], false),
        ],
        Fusion::Weighted,
        10,
    )
    .unwrap();
    assert_eq!(got, [(6, 0.0), (8, 0.0)]);
    assert!(got.iter().all(|h| h.1.to_bits() == 0));
}

#[test]
fn limit_is_respected() {
    let a: Vec<(u64, f32)> = (0..100).map(|i| (i, 100.0 - i as f32)).collect();
    let b: Vec<(u64, f32)> = (50..150).map(|i| (i, i as f32)).collect();
    let branches = [Branch::new(&a, true), Branch::new(&b, false)];
    for f in ALL {
        let full = fuse(&branches, f, 1000).unwrap();
        assert_eq!(full.len(), 150);
        for w in full.windows(2) {
            assert!(w[0].1 > w[1].1 || (w[0].1 == w[1].1 && w[0].0 < w[1].0));
        }
        for limit in [1, 2, 7, 149, 150, 151] {
            let got = fuse(&branches, f, limit).unwrap();
            assert_eq!(got, full[..limit.min(150)], "{f:?} limit {limit}");
        }
    }
    let m = invalid(fuse(&branches, RRF, 0));
    assert!(m.contains("limit is 0"), "{m}");
}

#[test]
fn empty_branches() {
    for f in ALL {
        assert!(fuse(&[], f, 10).unwrap().is_empty());
        assert!(
            fuse(&[Branch::new(&[], true), Branch::new(&[], false)], f, 10)
                .unwrap()
                .is_empty()
        );
        let a = [(1, 0.5), (2, 0.25)];
        let alone = fuse(&[Branch::new(&a, true)], f, 10).unwrap();
        let with = fuse(&[Branch::new(&[], false), Branch::new(&a, true)], f, 10).unwrap();
        assert_eq!(alone, with, "{f:?}");
    }
}

#[test]
fn rrf_of_one_branch_keeps_its_order() {
    // The positions decide, whatever the scores say.
    let a = [(7, 0.1), (2, 0.9), (9, 0.5), (1, 0.5)];
    let got = fuse(&[Branch::new(&a, true)], RRF, 10).unwrap();
    assert_hits(
        &got,
        &[
            (7, 1.0 / 61.0),
            (2, 1.0 / 62.0),
            (9, 1.0 / 63.0),
            (1, 1.0 / 64.0),
        ],
    );
}

#[test]
fn bad_input_is_refused() {
    let a = [(1, 0.5), (2, 0.25)];
    let ok = Branch::new(&a, true);
    for w in [-0.5, f32::NAN, f32::INFINITY] {
        let m = invalid(fuse(&[ok, ok.with_weight(w)], Fusion::Weighted, 10));
        assert!(m.starts_with(&format!("branch 1 weight is {w};")), "{m}");
        assert!(m.contains("finite and >= 0"), "{m}");
    }
    assert_eq!(
        invalid(fuse(&[ok.with_weight(-0.5)], RRF, 10)),
        "branch 0 weight is -0.5; weights must be finite and >= 0"
    );
    for k in [0.0, -1.0, f32::NAN, f32::INFINITY] {
        let m = invalid(fuse(&[ok], Fusion::Rrf { k }, 10));
        assert!(m.starts_with(&format!("rrf k is {k};")), "{m}");
        assert!(Fusion::Rrf { k }.validate().is_err());
    }
    assert!(RRF.validate().is_ok());
    let bad = [(4, 0.5), (5, 0.4), (6, f32::NAN)];
    for f in ALL {
        let m = invalid(fuse(&[ok, Branch::new(&bad, false)], f, 10));
        assert_eq!(
            m, "branch 1: the score at position 2 (id 6) is NaN; scores must be finite",
            "{f:?}"
        );
    }
    let inf = [(4, f32::NEG_INFINITY)];
    let m = invalid(fuse(&[Branch::new(&inf, true)], Fusion::Dbsf, 10));
    assert!(
        m.starts_with("branch 0: the score at position 0 (id 4) is -inf"),
        "{m}"
    );
    let dup = [(4, 0.5), (5, 0.4), (4, 0.3)];
    let m = invalid(fuse(&[ok, Branch::new(&dup, true)], RRF, 10));
    assert!(
        m.starts_with("branch 1 holds id 4 at positions 0 and 2"),
        "{m}"
    );
    // The same id in two branches is fine.
    assert_eq!(fuse(&[ok, ok], RRF, 10).unwrap().len(), 2);
}

#[test]
fn parse_and_name() {
    assert_eq!(Fusion::parse("rrf").unwrap(), Fusion::Rrf { k: 60.0 });
    assert_eq!(Fusion::parse(" RRF ").unwrap(), Fusion::default());
    assert_eq!(Fusion::parse("rsf").unwrap(), Fusion::RelativeScore);
    assert_eq!(
        Fusion::parse("relative_score").unwrap(),
        Fusion::RelativeScore
    );
    assert_eq!(Fusion::parse("dbsf").unwrap(), Fusion::Dbsf);
    assert_eq!(Fusion::parse("Weighted").unwrap(), Fusion::Weighted);
    for f in ALL {
        assert_eq!(Fusion::parse(f.name()).unwrap(), f);
    }
    match Fusion::parse("borda") {
        Err(Error::InvalidArgument(m)) => assert!(m.contains("unknown fusion \"borda\""), "{m}"),
        other => panic!("{other:?}"),
    }
}

// The lists of one search for two query vectors, with scores exact in
// binary so that sums and means are exact.
const SIM0: [(u64, f32); 2] = [(1, 0.75), (2, 0.5)];
const SIM1: [(u64, f32); 2] = [(1, 0.25), (3, 0.625)];
const DIST0: [(u64, f32); 2] = [(1, 1.0), (2, 2.0)];
const DIST1: [(u64, f32); 2] = [(3, 1.5), (1, 3.0)];

#[test]
fn multi_average() {
    let got = fuse_multi(&[&SIM0, &SIM1], true, &MultiFusion::Average, 10).unwrap();
    // 1: (0.75 + 0.25) / 2; 2 and 3 are held by one list each
    assert_hits(&got, &[(3, 0.625), (1, 0.5), (2, 0.5)]);
    let got = fuse_multi(&[&DIST0, &DIST1], false, &MultiFusion::Average, 10).unwrap();
    // distances stay distances, smallest first
    assert_hits(&got, &[(3, 1.5), (1, 2.0), (2, 2.0)]);
    assert!(!MultiFusion::Average.higher_is_better(false));
    assert!(MultiFusion::Average.higher_is_better(true));
}

#[test]
fn multi_max() {
    let got = fuse_multi(&[&SIM0, &SIM1], true, &MultiFusion::Max, 10).unwrap();
    assert_hits(&got, &[(1, 0.75), (3, 0.625), (2, 0.5)]);
    let got = fuse_multi(&[&DIST0, &DIST1], false, &MultiFusion::Max, 10).unwrap();
    // the best distance is the smallest
    assert_hits(&got, &[(1, 1.0), (3, 1.5), (2, 2.0)]);
    let got = fuse_multi(&[&DIST0, &DIST1], false, &MultiFusion::Max, 2).unwrap();
    assert_hits(&got, &[(1, 1.0), (3, 1.5)]);
}

#[test]
fn multi_rrf() {
    let how = MultiFusion::Rrf { k: 60.0 };
    let got = fuse_multi(&[&SIM0, &SIM1], true, &how, 10).unwrap();
    // 2 and 3 tie at rank 2 of one list each
    assert_hits(&got, &[(1, 2.0 / 61.0), (2, 1.0 / 62.0), (3, 1.0 / 62.0)]);
    let got = fuse_multi(&[&DIST0, &DIST1], false, &how, 10).unwrap();
    assert_hits(
        &got,
        &[
            (1, 1.0 / 61.0 + 1.0 / 62.0),
            (3, 1.0 / 61.0),
            (2, 1.0 / 62.0),
        ],
    );
    assert!(how.higher_is_better(false));
}

#[test]
fn multi_weighted() {
    let how = MultiFusion::Weighted(vec![2.0, 0.5]);
    let got = fuse_multi(&[&SIM0, &SIM1], true, &how, 10).unwrap();
    assert_hits(&got, &[(1, 1.625), (2, 1.0), (3, 0.3125)]);
    let how = MultiFusion::Weighted(vec![1.0, 2.0]);
    let got = fuse_multi(&[&DIST0, &DIST1], false, &how, 10).unwrap();
    // negated distances, higher is better
    assert_hits(&got, &[(2, -2.0), (3, -3.0), (1, -7.0)]);
    assert!(how.higher_is_better(false));
}

#[test]
fn multi_edge_cases_and_errors() {
    for how in [
        MultiFusion::Average,
        MultiFusion::Max,
        MultiFusion::Rrf { k: 60.0 },
        MultiFusion::Weighted(vec![]),
    ] {
        assert!(fuse_multi(&[], true, &how, 5).unwrap().is_empty());
    }
    let got = fuse_multi(&[&[], &SIM0], true, &MultiFusion::Average, 5).unwrap();
    assert_hits(&got, &[(1, 0.75), (2, 0.5)]);

    let m = invalid(fuse_multi(
        &[&SIM0, &SIM1],
        true,
        &MultiFusion::Weighted(vec![1.0]),
        5,
    ));
    assert!(m.contains("1 weights for 2 queries"), "{m}");
    let m = invalid(fuse_multi(
        &[&SIM0, &SIM1],
        true,
        &MultiFusion::Weighted(vec![1.0, -0.5]),
        5,
    ));
    assert_eq!(m, "query 1 weight is -0.5; weights must be finite and >= 0");
    let m = invalid(fuse_multi(&[&SIM0], true, &MultiFusion::Rrf { k: 0.0 }, 5));
    assert!(m.starts_with("rrf k is 0;"), "{m}");
    let bad = [(1, 0.5), (2, f32::NAN)];
    let m = invalid(fuse_multi(&[&SIM0, &bad], true, &MultiFusion::Max, 5));
    assert_eq!(
        m,
        "query 1: the score at position 1 (id 2) is NaN; scores must be finite"
    );
    let dup = [(1, 0.5), (1, 0.4)];
    let m = invalid(fuse_multi(&[&dup], true, &MultiFusion::Average, 5));
    assert!(
        m.starts_with("query 0 holds id 1 at positions 0 and 1"),
        "{m}"
    );
    let m = invalid(fuse_multi(&[&SIM0], true, &MultiFusion::Average, 0));
    assert!(m.contains("limit is 0"), "{m}");
}
