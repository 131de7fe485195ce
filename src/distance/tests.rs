use super::*;

/// Tiny deterministic PRNG (xorshift64*).
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [-1, 1).
    fn f32(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    fn vec(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.f32()).collect()
    }

    /// Values from a small set (with repeats, zeros of both signs and NaN),
    /// so that equal and zero positions are common.
    fn sparse_vec(&mut self, n: usize) -> Vec<f32> {
        const VALUES: [f32; 8] = [0.0, 0.0, -0.0, 1.0, -1.0, 0.5, 2.0, f32::NAN];
        (0..n)
            .map(|_| VALUES[(self.next_u64() % VALUES.len() as u64) as usize])
            .collect()
    }
}

fn lengths() -> Vec<usize> {
    let mut v: Vec<usize> = (0..=70).collect();
    v.extend([96, 127, 128, 129, 384, 385, 1000, 1536]);
    v
}

fn supported_tables() -> Vec<&'static Kernels> {
    Level::ALL.into_iter().filter_map(table).collect()
}

fn dot_f64(a: &[f32], b: &[f32]) -> (f64, f64) {
    let exact = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum();
    let magnitude = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) * f64::from(y)).abs())
        .sum();
    (exact, magnitude)
}

fn l2_f64(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = f64::from(x) - f64::from(y);
            d * d
        })
        .sum()
}

/// `got` is within a relative 1e-4 of `want`, relative to `magnitude` (the
/// sum of the absolute values of the terms, so that cancellation in a dot
/// product does not make the bound meaningless).
fn close(got: f32, want: f64, magnitude: f64) -> bool {
    (f64::from(got) - want).abs() <= 1e-4 * magnitude + 1e-6
}

#[test]
fn simd_dot_and_l2_match_scalar() {
    let mut rng = XorShift::new(1);
    for k in supported_tables() {
        for n in lengths() {
            for offset in [0usize, 1, 3] {
                let a = rng.vec(n + offset);
                let b = rng.vec(n + offset);
                let (a, b) = (&a[offset..], &b[offset..]);
                let (want, mag) = dot_f64(a, b);
                let s = scalar::dot(a, b);
                let got = (k.dot)(a, b);
                assert!(close(s, want, mag), "scalar dot n={n}: {s} vs {want}");
                assert!(
                    close(got, want, mag),
                    "{:?} dot n={n}: {got} vs {want}",
                    k.level
                );
                assert!(
                    close(got, f64::from(s), mag),
                    "{:?} dot n={n} vs scalar",
                    k.level
                );

                let want = l2_f64(a, b);
                let s = scalar::l2_squared(a, b);
                let got = (k.l2_squared)(a, b);
                assert!(close(s, want, want), "scalar l2 n={n}: {s} vs {want}");
                assert!(
                    close(got, want, want),
                    "{:?} l2 n={n}: {got} vs {want}",
                    k.level
                );
                assert!(got >= 0.0);
            }
        }
    }
}

#[test]
fn simd_counts_match_scalar() {
    let mut rng = XorShift::new(2);
    for k in supported_tables() {
        for n in lengths() {
            for _ in 0..4 {
                let a = rng.sparse_vec(n);
                let b = rng.sparse_vec(n);
                let want_h = a.iter().zip(&b).filter(|(x, y)| x != y).count() as f32;
                let nz_a = |i: usize| a[i] != 0.0;
                let nz_b = |i: usize| b[i] != 0.0;
                let inter = (0..n).filter(|&i| nz_a(i) && nz_b(i)).count();
                let union = (0..n).filter(|&i| nz_a(i) || nz_b(i)).count();
                let want_j = if union == 0 {
                    1.0
                } else {
                    (inter as f64 / union as f64) as f32
                };
                assert_eq!(scalar::hamming(&a, &b), want_h, "scalar hamming n={n}");
                assert_eq!((k.hamming)(&a, &b), want_h, "{:?} hamming n={n}", k.level);
                assert_eq!(
                    scalar::jaccard_similarity(&a, &b),
                    want_j,
                    "scalar jaccard n={n}"
                );
                assert_eq!(
                    (k.jaccard_similarity)(&a, &b),
                    want_j,
                    "{:?} jaccard n={n}",
                    k.level
                );
            }
        }
    }
}

#[test]
fn distance_fns_follow_the_convention() {
    let mut rng = XorShift::new(3);
    let mut tables = supported_tables();
    tables.push(kernels());
    for k in tables {
        for n in [1usize, 7, 16, 33, 384] {
            let mut a = rng.vec(n);
            let mut b = rng.vec(n);
            assert!(normalize(&mut a) && normalize(&mut b));
            let d = f64::from(scalar::dot(&a, &b));
            let tol = 1e-4 * n as f64;
            let cos = k.distance_fn(Metric::Cosine)(&a, &b);
            assert!((f64::from(cos) - (1.0 - d)).abs() < tol, "{:?}", k.level);
            let neg = k.distance_fn(Metric::Dot)(&a, &b);
            assert!((f64::from(neg) + d).abs() < tol, "{:?}", k.level);
            let l2 = k.distance_fn(Metric::Euclidean)(&a, &b);
            assert!(
                (f64::from(l2) - l2_f64(&a, &b)).abs() < tol,
                "{:?}",
                k.level
            );
            let s = rng.sparse_vec(n);
            let t = rng.sparse_vec(n);
            assert_eq!(
                k.distance_fn(Metric::Hamming)(&s, &t),
                scalar::hamming(&s, &t)
            );
            assert_eq!(
                k.distance_fn(Metric::Jaccard)(&s, &t),
                1.0 - scalar::jaccard_similarity(&s, &t)
            );
        }
    }
}

#[test]
fn dispatched_functions_match_scalar() {
    let mut rng = XorShift::new(4);
    for n in lengths() {
        let a = rng.vec(n);
        let b = rng.vec(n);
        let (want, mag) = dot_f64(&a, &b);
        assert!(close(dot(&a, &b), want, mag));
        let want = l2_f64(&a, &b);
        assert!(close(l2_squared(&a, &b), want, want));
        let s = rng.sparse_vec(n);
        let t = rng.sparse_vec(n);
        assert_eq!(hamming(&s, &t), scalar::hamming(&s, &t));
        assert_eq!(
            jaccard_similarity(&s, &t),
            scalar::jaccard_similarity(&s, &t)
        );
        for m in Metric::ALL {
            let (x, y) = if matches!(m, Metric::Hamming | Metric::Jaccard) {
                (&s, &t)
            } else {
                (&a, &b)
            };
            let got = m.distance_fn()(x, y);
            let want = table(Level::Scalar).unwrap().distance_fn(m)(x, y);
            assert!(
                (got - want).abs() <= 1e-4 * (1.0 + want.abs()) + 1e-4 * n as f32,
                "{m} n={n}"
            );
        }
    }
}

#[test]
fn hamming_hand_cases() {
    for k in supported_tables() {
        let h = k.hamming;
        assert_eq!(h(&[], &[]), 0.0);
        assert_eq!(h(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), 0.0);
        assert_eq!(h(&[1.0, 2.0, 3.0], &[1.0, 0.0, 4.0]), 2.0);
        assert_eq!(h(&[0.0, -0.0], &[-0.0, 0.0]), 0.0, "-0.0 == 0.0");
        assert_eq!(h(&[f32::NAN], &[f32::NAN]), 1.0, "NaN != NaN");
        let a = vec![1.0f32; 100];
        let mut b = a.clone();
        b[0] = 0.0;
        b[50] = 0.0;
        b[99] = 7.0;
        assert_eq!(h(&a, &b), 3.0, "{:?}", k.level);
    }
}

#[test]
fn jaccard_hand_cases() {
    for k in supported_tables() {
        let j = k.jaccard_similarity;
        assert_eq!(j(&[], &[]), 1.0, "both empty");
        assert_eq!(j(&[0.0; 40], &[-0.0; 40]), 1.0, "both all-zero");
        assert_eq!(j(&[1.0, 0.0], &[0.0, 0.0]), 0.0);
        assert_eq!(j(&[1.0, 2.0, 0.0, 0.0], &[3.0, 0.0, 4.0, 0.0]), 1.0 / 3.0);
        assert_eq!(
            j(&[1.0, 2.0, 3.0], &[-1.0, 5.0, 0.5]),
            1.0,
            "values do not matter"
        );
        let mut a = vec![0.0f32; 77];
        let mut b = vec![0.0f32; 77];
        a[0] = 1.0;
        a[10] = 1.0;
        a[76] = 1.0;
        b[10] = 2.0;
        b[76] = 3.0;
        b[40] = 4.0;
        assert_eq!(j(&a, &b), 0.5, "{:?}", k.level);
        assert_eq!((k.jaccard_distance)(&a, &b), 0.5);
    }
}

#[test]
fn score_conventions() {
    assert_eq!(Metric::Cosine.score(0.25), 0.75);
    assert_eq!(Metric::Dot.score(-3.5), 3.5);
    assert_eq!(Metric::Euclidean.score(9.0), 3.0);
    assert_eq!(Metric::Euclidean.score(-1e-7), 0.0);
    assert_eq!(Metric::Hamming.score(4.0), 4.0);
    assert_eq!(Metric::Jaccard.score(0.25), 0.75);

    let a = [0.6f32, 0.8, 0.0];
    let b = [0.0f32, 1.0, 0.0];
    let cos = Metric::Cosine.score(Metric::Cosine.distance_fn()(&a, &b));
    assert!((cos - 0.8).abs() < 1e-6);
    let dp = Metric::Dot.score(Metric::Dot.distance_fn()(&[1.0, 2.0], &[3.0, 4.0]));
    assert_eq!(dp, 11.0);
    let l2 = Metric::Euclidean.score(Metric::Euclidean.distance_fn()(&[0.0, 0.0], &[3.0, 4.0]));
    assert_eq!(l2, 5.0);
    let j = Metric::Jaccard.score(Metric::Jaccard.distance_fn()(&[0.0; 8], &[0.0; 8]));
    assert_eq!(j, 1.0);

    for m in Metric::ALL {
        assert_eq!(
            m.higher_is_better(),
            matches!(m, Metric::Cosine | Metric::Dot | Metric::Jaccard)
        );
        assert_eq!(m.needs_normalization(), m == Metric::Cosine);
    }
}

#[test]
fn normalize_cases() {
    let mut z = vec![0.0f32; 10];
    assert!(!normalize(&mut z));
    assert_eq!(z, vec![0.0f32; 10]);
    let mut e: Vec<f32> = vec![];
    assert!(!normalize(&mut e));

    let mut nan = vec![1.0, f32::NAN, 2.0];
    assert!(!normalize(&mut nan));
    assert_eq!(nan[0], 1.0);
    let mut inf = vec![1.0, f32::INFINITY];
    assert!(!normalize(&mut inf));
    assert_eq!(inf, vec![1.0, f32::INFINITY]);

    let mut v = vec![3.0f32, 4.0];
    assert!(normalize(&mut v));
    assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);

    // Squared norm overflows / underflows f32: still normalised.
    for scale in [1e30f32, 8e37, 1e-30, 1e-42] {
        let mut v = vec![3.0 * scale, 4.0 * scale, 0.0];
        let r = (v[1] / v[0]) as f64;
        assert!(normalize(&mut v), "scale {scale}");
        let norm: f64 = v.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
        assert!((norm - 1.0).abs() < 1e-5, "scale {scale}: norm² {norm}");
        assert!(((v[1] / v[0]) as f64 - r).abs() < 1e-5);
    }

    let mut rng = XorShift::new(5);
    for n in [1usize, 5, 384, 1536] {
        let mut v = rng.vec(n);
        if v.iter().all(|&x| x == 0.0) {
            continue;
        }
        assert!(normalize(&mut v));
        assert!((scalar::dot(&v, &v) - 1.0).abs() < 1e-5);
    }
}

#[test]
fn metric_names_round_trip() {
    for m in Metric::ALL {
        assert_eq!(Metric::parse(m.as_str()), Some(m));
        assert_eq!(Metric::parse(&m.as_str().to_uppercase()), Some(m));
        assert_eq!(m.to_string(), m.as_str());
    }
    let names: Vec<_> = Metric::ALL.iter().map(|m| m.as_str()).collect();
    assert_eq!(names, ["cosine", "euclidean", "dot", "hamming", "jaccard"]);
    assert_eq!(Metric::parse("dot_product"), Some(Metric::Dot));
    assert_eq!(Metric::parse("l2"), Some(Metric::Euclidean));
    assert_eq!(Metric::parse("manhattan"), None);
    assert_eq!(Metric::parse(""), None);
}

#[test]
fn dispatch_levels() {
    assert!(["avx512", "avx2+fma", "scalar"].contains(&kernel_name()));
    assert_eq!(Level::parse_cap("scalar"), Some(Level::Scalar));
    assert_eq!(Level::parse_cap(" AVX2 "), Some(Level::Avx2));
    assert_eq!(Level::parse_cap("avx512"), Some(Level::Avx512));
    assert_eq!(Level::parse_cap(""), None);
    assert_eq!(Level::parse_cap("auto"), None);
    assert_eq!(best_level(Some(Level::Scalar)), Level::Scalar);
    let best = best_level(None);
    assert!(level_supported(best));
    assert!(Level::ALL.iter().all(|&l| l <= best || !level_supported(l)));
    assert_eq!(best_level(Some(Level::Avx2)), best.min(Level::Avx2));
    assert!(table(Level::Scalar).is_some());
    for l in Level::ALL {
        assert_eq!(table(l).is_some(), level_supported(l));
        if let Some(k) = table(l) {
            assert_eq!(k.level, l);
        }
    }
    // The selected set honours QUIVER_SIMD when it is set.
    let cap = std::env::var("QUIVER_SIMD")
        .ok()
        .and_then(|s| Level::parse_cap(&s));
    assert_eq!(kernels().level, best_level(cap));
    eprintln!("distance kernels: {}", kernel_name());
}

#[cfg(not(debug_assertions))]
#[test]
fn unequal_lengths_use_the_common_prefix() {
    let a = [1.0f32; 37];
    let b = [2.0f32; 20];
    for k in supported_tables() {
        assert_eq!((k.dot)(&a, &b), 40.0);
        assert_eq!((k.dot)(&b, &a), 40.0);
        assert_eq!((k.l2_squared)(&a, &b), 20.0);
        assert_eq!((k.hamming)(&a, &b), 20.0);
        assert_eq!((k.jaccard_similarity)(&a, &b), 1.0);
    }
}

#[cfg(debug_assertions)]
#[test]
#[should_panic]
fn unequal_lengths_panic_in_debug() {
    dot(&[1.0, 2.0], &[1.0]);
}
