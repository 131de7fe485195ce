#!/usr/bin/env python3
"""Makes tests/data/wordnet-sample/ from the full WordNet/MiniLM data set.

Usage: python3 tests/data/make-sample.py [SRC_DIR] [--n 5000] [--nq 100]
SRC_DIR defaults to ../shared/data/wordnet (relative to the repository root).
Needs python3 and numpy. Deterministic: rerunning it gives identical files.

Output (same format as the source directory, see README.md there):
  base.f16     the first N base vectors (little-endian half floats, 384 dims, row-major)
  base.jsonl   their N payload lines, byte for byte
  queries.f16  the first NQ query vectors
  gt100.u32    exact top-100 base ids of each query over the N-vector subset, by dot
               product of the half floats widened to f32 (accumulated in f64 so the
               result does not depend on the BLAS), best first, ties to the lower id
  edges.tsv    the relations of the source whose both ends are among the N points
  relevance.jsonl  the first NR relevance queries (text search test queries; their
               `relevant` id is often outside the sample)
"""
import argparse, collections, os, sys
import numpy as np

DIM = 384
K = 100


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    a = argparse.ArgumentParser()
    a.add_argument("src", nargs="?", default=os.path.join(repo, "..", "shared", "data", "wordnet"))
    a.add_argument("--out", default=os.path.join(here, "wordnet-sample"))
    a.add_argument("--n", type=int, default=5000)
    a.add_argument("--nq", type=int, default=100)
    a.add_argument("--nr", type=int, default=1000)
    o = a.parse_args()
    src, out, n, nq = o.src, o.out, o.n, o.nq
    os.makedirs(out, exist_ok=True)

    base = np.fromfile(f"{src}/base.f16", "<f2").reshape(-1, DIM)
    queries = np.fromfile(f"{src}/queries.f16", "<f2").reshape(-1, DIM)
    if n > len(base) or nq > len(queries) or n < K:
        sys.exit(f"--n must be in {K}..={len(base)} and --nq <= {len(queries)}")
    base, queries = base[:n], queries[:nq]
    base.astype("<f2").tofile(f"{out}/base.f16")
    queries.astype("<f2").tofile(f"{out}/queries.f16")

    # Exact ground truth over the subset. Negated scores + stable sort = best
    # first, equal scores in ascending id order.
    scores = queries.astype(np.float64) @ base.astype(np.float64).T
    gt = np.argsort(-scores, axis=1, kind="stable")[:, :K].astype("<u4")
    gt.tofile(f"{out}/gt100.u32")

    cats = collections.Counter()
    with open(f"{src}/base.jsonl", "rb") as f, open(f"{out}/base.jsonl", "wb") as g:
        import json
        for i in range(n):
            line = f.readline()
            if not line:
                sys.exit(f"base.jsonl has fewer than {n} lines")
            p = json.loads(line)
            assert p["id"] == i, f"line {i} has id {p['id']}"
            cats[p["category"]] += 1
            g.write(line)

    if os.path.exists(f"{src}/edges.tsv"):
        kept = 0
        with open(f"{src}/edges.tsv") as f, open(f"{out}/edges.tsv", "w") as g:
            g.write(f.readline())
            for line in f:
                s, d, _ = line.split("\t", 2)
                if int(s) < n and int(d) < n:
                    g.write(line)
                    kept += 1
        print(f"edges.tsv: {kept} relations kept")

    if os.path.exists(f"{src}/relevance.jsonl"):
        with open(f"{src}/relevance.jsonl", "rb") as f, open(f"{out}/relevance.jsonl", "wb") as g:
            for _ in range(o.nr):
                g.write(f.readline())

    total = 0
    for name in sorted(os.listdir(out)):
        size = os.path.getsize(f"{out}/{name}")
        total += size
        print(f"{name:12} {size:>10,} bytes")
    print(f"{'total':12} {total:>10,} bytes")
    if total > 5_000_000:
        sys.exit("sample is larger than 5 MB")

    # Sanity: the subset ground truth of a query must agree with the f32 scores.
    s32 = queries[:1].astype(np.float32) @ base.astype(np.float32).T
    assert abs(float(s32[0, gt[0, 0]]) - float(s32[0].max())) < 1e-5

    print(f"\ncategory distribution of the {n} base points (selectivity of category = X):")
    print(f"{'category':20} {'count':>6} {'share':>8}")
    for c, k in sorted(cats.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"{c:20} {k:>6} {100 * k / n:>7.2f}%")
    print(f"{len(cats)} categories")


if __name__ == "__main__":
    main()
