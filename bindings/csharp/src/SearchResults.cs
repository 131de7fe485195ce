using System;

namespace Quiver
{
    /// <summary>One search hit: a point id, its score and (when asked for) its payload.</summary>
    public readonly struct SearchHit
    {
        /// <summary>Creates a hit.</summary>
        public SearchHit(ulong id, float score, string payload)
        {
            Id = id;
            Score = score;
            Payload = payload;
        }

        /// <summary>The point's id.</summary>
        public ulong Id { get; }

        /// <summary>
        /// The score: cosine similarity, dot product and Jaccard similarity
        /// (higher is closer), L2 and Hamming distance (lower is closer); BM25 for
        /// <see cref="QuiverCollection.TextSearch"/>, the sparse dot product for
        /// <see cref="QuiverCollection.SparseSearch"/>, the fused score for
        /// <see cref="QuiverCollection.HybridSearch"/> (higher is better).
        /// </summary>
        public float Score { get; }

        /// <summary>The payload's JSON text exactly as it was written; null when the point has none or payloads were not asked for.</summary>
        public string Payload { get; }

        /// <summary>For diagnostics.</summary>
        public override string ToString() => Id + " (" + Score + ")" + (Payload == null ? "" : " " + Payload);
    }

    /// <summary>
    /// The results of a batch search (<c>qv_results</c>), read in place from
    /// library memory. Dispose when done; the garbage collector frees them
    /// otherwise. Immutable: any thread may read them at once, also while
    /// another disposes them (reads after that throw QuiverException(Closed)).
    /// </summary>
    public sealed unsafe class SearchResults : IDisposable
    {
        private readonly ResultsHandle handle;
        private readonly NativeMethods.qv_results_view view;

        private SearchResults(ResultsHandle handle, NativeMethods.qv_results_view view)
        {
            this.handle = handle;
            this.view = view;
            QueryCount = checked((int)view.num_queries);
            TotalHits = checked((int)view.num_hits);
        }

        internal static SearchResults FromNative(int rc, ResultsHandle h, IntPtr err)
        {
            if (rc != 0)
            {
                h.Dispose();
                Errors.Check(rc, err);
            }
            try
            {
                NativeMethods.qv_results_view v;
                rc = NativeMethods.qv_results_get_view(h, &v, out err);
                Errors.Check(rc, err);
                return new SearchResults(h, v);
            }
            catch
            {
                h.Dispose();
                throw;
            }
        }

        /// <summary>The number of queries.</summary>
        public int QueryCount { get; }

        /// <summary>The number of hits of all queries together.</summary>
        public int TotalHits { get; }

        /// <summary>The number of hits of query <paramref name="query"/> (at most k).</summary>
        public int HitCount(int query)
        {
            CheckQuery(query);
            using (Lease())
            {
                return (int)(view.offsets[query + 1] - view.offsets[query]);
            }
        }

        /// <summary>Hit <paramref name="rank"/> (0 = best) of query <paramref name="query"/>.</summary>
        public SearchHit this[int query, int rank]
        {
            get
            {
                using (Lease())
                {
                    long j = HitIndex(query, rank);
                    return new SearchHit(view.ids[j], view.scores[j], PayloadAt(j));
                }
            }
        }

        /// <summary>The hits of query <paramref name="query"/>, best first (a copy).</summary>
        public SearchHit[] GetHits(int query)
        {
            CheckQuery(query);
            using (Lease())
            {
                long start = (long)view.offsets[query];
                var hits = new SearchHit[(int)((long)view.offsets[query + 1] - start)];
                for (int i = 0; i < hits.Length; i++)
                {
                    long j = start + i;
                    hits[i] = new SearchHit(view.ids[j], view.scores[j], PayloadAt(j));
                }
                return hits;
            }
        }

        /// <summary>The ids of the hits of query <paramref name="query"/>, best first (a copy).</summary>
        public ulong[] GetIds(int query)
        {
            CheckQuery(query);
            using (Lease())
            {
                long start = (long)view.offsets[query];
                var ids = new ulong[(int)((long)view.offsets[query + 1] - start)];
                for (int i = 0; i < ids.Length; i++)
                {
                    ids[i] = view.ids[start + i];
                }
                return ids;
            }
        }

        /// <summary>The id of hit <paramref name="rank"/> of query <paramref name="query"/>.</summary>
        public ulong GetId(int query, int rank)
        {
            using (Lease())
            {
                return view.ids[HitIndex(query, rank)];
            }
        }

        /// <summary>The score of hit <paramref name="rank"/> of query <paramref name="query"/>.</summary>
        public float GetScore(int query, int rank)
        {
            using (Lease())
            {
                return view.scores[HitIndex(query, rank)];
            }
        }

        /// <summary>The payload JSON of hit <paramref name="rank"/> of query <paramref name="query"/>, or null.</summary>
        public string GetPayload(int query, int rank)
        {
            using (Lease())
            {
                return PayloadAt(HitIndex(query, rank));
            }
        }

        /// <summary>
        /// Copies every hit in query order into <paramref name="ids"/> and
        /// <paramref name="scores"/> (each at least <see cref="TotalHits"/> long)
        /// and the start of each query's hits into <paramref name="offsets"/>
        /// (<see cref="QueryCount"/> + 1 entries, or null).
        /// </summary>
        public void CopyTo(ulong[] ids, float[] scores, long[] offsets = null)
        {
            if (ids != null && ids.Length < TotalHits)
            {
                throw new ArgumentException("ids holds fewer than " + TotalHits + " entries", nameof(ids));
            }
            if (scores != null && scores.Length < TotalHits)
            {
                throw new ArgumentException("scores holds fewer than " + TotalHits + " entries", nameof(scores));
            }
            if (offsets != null && offsets.Length < QueryCount + 1)
            {
                throw new ArgumentException("offsets holds fewer than " + (QueryCount + 1) + " entries", nameof(offsets));
            }
            using (Lease())
            {
                long bytesIds = (long)TotalHits * sizeof(ulong);
                long bytesScores = (long)TotalHits * sizeof(float);
                if (ids != null && TotalHits > 0)
                {
                    fixed (ulong* d = ids)
                    {
                        Buffer.MemoryCopy(view.ids, d, bytesIds, bytesIds);
                    }
                }
                if (scores != null && TotalHits > 0)
                {
                    fixed (float* d = scores)
                    {
                        Buffer.MemoryCopy(view.scores, d, bytesScores, bytesScores);
                    }
                }
                if (offsets != null)
                {
                    for (int q = 0; q <= QueryCount; q++)
                    {
                        offsets[q] = (long)view.offsets[q];
                    }
                }
            }
        }

        /// <summary>Frees the results. Safe while other threads read them; later reads throw QuiverException(Closed).</summary>
        public void Dispose() => handle.Dispose();

        private HandleLease Lease() => new HandleLease(handle, "search result");

        private void CheckQuery(int query)
        {
            if ((uint)query >= (uint)QueryCount)
            {
                throw new ArgumentOutOfRangeException(nameof(query), query, "query index out of range 0.." + QueryCount);
            }
        }

        // Call with a lease held.
        private long HitIndex(int query, int rank)
        {
            CheckQuery(query);
            long start = (long)view.offsets[query];
            long end = (long)view.offsets[query + 1];
            if (rank < 0 || start + rank >= end)
            {
                throw new ArgumentOutOfRangeException(nameof(rank), rank, "query " + query + " has " + (end - start) + " hits");
            }
            return start + rank;
        }

        // Call with a lease held.
        private string PayloadAt(long j)
        {
            ulong a = view.payload_offsets[j];
            ulong b = view.payload_offsets[j + 1];
            return a == b ? null : Utf8.Decode(view.payload_data + a, b - a);
        }
    }
}
