using System;

namespace Quiver
{
    /// <summary>A point read from a collection: id, vector and payload JSON (null when none).</summary>
    public sealed class QuiverPoint
    {
        /// <summary>Creates a point.</summary>
        public QuiverPoint(ulong id, float[] vector, string payload)
        {
            Id = id;
            Vector = vector;
            Payload = payload;
        }

        /// <summary>The id.</summary>
        public ulong Id { get; }

        /// <summary>
        /// The vector (as stored: cosine collections store it normalised); null when
        /// it was not asked for (<see cref="ScrollOptions.WithVectors"/>).
        /// </summary>
        public float[] Vector { get; }

        /// <summary>
        /// The payload's JSON text exactly as it was written, or null (no payload, or
        /// not asked for: <see cref="ScrollOptions.WithPayload"/>).
        /// </summary>
        public string Payload { get; }

        /// <summary>For diagnostics.</summary>
        public override string ToString() => Id + (Payload == null ? "" : " " + Payload);
    }

    /// <summary>A page of points from <see cref="QuiverCollection.ScrollPoints"/> (copied out of the library).</summary>
    public sealed class PointsPage
    {
        internal PointsPage(QuiverPoint[] points, string nextCursor)
        {
            Points = points;
            NextCursor = nextCursor;
        }

        /// <summary>The points of this page, in scroll order.</summary>
        public QuiverPoint[] Points { get; }

        /// <summary>
        /// The cursor of the next page: set it as <see cref="ScrollOptions.Cursor"/>,
        /// with the same options otherwise; null after the last page.
        /// </summary>
        public string NextCursor { get; }

        /// <summary>Whether more points follow (<see cref="NextCursor"/> is not null).</summary>
        public bool HasNext => NextCursor != null;
    }

    /// <summary>A page of ids from <see cref="QuiverCollection.Scroll(ulong, int, string)"/>.</summary>
    public sealed class ScrollPage
    {
        internal ScrollPage(ulong[] ids, bool hasNext, ulong next)
        {
            Ids = ids;
            HasNext = hasNext;
            Next = next;
        }

        /// <summary>The ids of this page, ascending.</summary>
        public ulong[] Ids { get; }

        /// <summary>Whether more ids follow.</summary>
        public bool HasNext { get; }

        /// <summary>The id to pass as <c>from</c> for the next page (0 at the end).</summary>
        public ulong Next { get; }
    }

    /// <summary>
    /// The points read by <see cref="QuiverCollection.Get(ulong[])"/>
    /// (<c>qv_points</c>), read in place from library memory: entry i answers
    /// the i-th id asked for. Dispose when done; the garbage collector frees
    /// it otherwise. Immutable: any thread may read it.
    /// </summary>
    public sealed unsafe class PointBatch : IDisposable
    {
        private readonly PointsHandle handle;
        private readonly NativeMethods.qv_points_view view;

        private PointBatch(PointsHandle handle, NativeMethods.qv_points_view view)
        {
            this.handle = handle;
            this.view = view;
            Count = checked((int)view.count);
            Dimension = checked((int)view.dimension);
        }

        internal static PointBatch FromNative(int rc, PointsHandle h, IntPtr err)
        {
            if (rc != 0)
            {
                h.Dispose();
                Errors.Check(rc, err);
            }
            try
            {
                NativeMethods.qv_points_view v;
                rc = NativeMethods.qv_points_get_view(h, &v, out err);
                Errors.Check(rc, err);
                return new PointBatch(h, v);
            }
            catch
            {
                h.Dispose();
                throw;
            }
        }

        /// <summary>The number of entries (ids asked for).</summary>
        public int Count { get; }

        /// <summary>Floats per vector.</summary>
        public int Dimension { get; }

        /// <summary>The id of entry <paramref name="i"/>.</summary>
        public ulong GetId(int i)
        {
            Check(i);
            using (Lease())
            {
                return view.ids[i];
            }
        }

        /// <summary>Whether the point of entry <paramref name="i"/> exists.</summary>
        public bool IsFound(int i)
        {
            Check(i);
            using (Lease())
            {
                return view.found[i] != 0;
            }
        }

        /// <summary>The vector of entry <paramref name="i"/> (a copy; zeros when not found).</summary>
        public float[] GetVector(int i)
        {
            var v = new float[Dimension];
            CopyVector(i, v, 0);
            return v;
        }

        /// <summary>Copies the vector of entry <paramref name="i"/> into <paramref name="destination"/> at <paramref name="index"/>.</summary>
        public void CopyVector(int i, float[] destination, int index)
        {
            Check(i);
            if (destination == null)
            {
                throw new ArgumentNullException(nameof(destination));
            }
            if (index < 0 || destination.Length - index < Dimension)
            {
                throw new ArgumentException("destination has no room for " + Dimension + " floats at " + index, nameof(destination));
            }
            if (Dimension == 0)
            {
                return;
            }
            using (Lease())
            {
                long bytes = (long)Dimension * sizeof(float);
                fixed (float* d = &destination[index])
                {
                    Buffer.MemoryCopy(view.vectors + (long)i * Dimension, d, bytes, bytes);
                }
            }
        }

        /// <summary>The payload JSON of entry <paramref name="i"/>, or null when it has none (or was not found).</summary>
        public string GetPayload(int i)
        {
            Check(i);
            using (Lease())
            {
                ulong a = view.payload_offsets[i];
                ulong b = view.payload_offsets[i + 1];
                return a == b ? null : Utf8.Decode(view.payload_data + a, b - a);
            }
        }

        /// <summary>Entry <paramref name="i"/> as a point (a copy), or null when it was not found.</summary>
        public QuiverPoint GetPoint(int i) =>
            IsFound(i) ? new QuiverPoint(GetId(i), GetVector(i), GetPayload(i)) : null;

        // The points as copies; vectors only when they were read (a scroll without
        // vectors hands out zeros in their place).
        internal QuiverPoint[] ToPoints(bool withVectors)
        {
            var points = new QuiverPoint[Count];
            for (int i = 0; i < points.Length; i++)
            {
                points[i] = new QuiverPoint(GetId(i), withVectors ? GetVector(i) : null, GetPayload(i));
            }
            return points;
        }

        // The cursor of the page after this one (qv_points_next_cursor), null at the end.
        internal string NextCursor()
        {
            using (Lease())
            {
                IntPtr s;
                UIntPtr len;
                IntPtr err;
                int rc = NativeMethods.qv_points_next_cursor(handle, out s, out len, out err);
                Errors.Check(rc, err);
                return s == IntPtr.Zero ? null : Utf8.Decode((byte*)s, (ulong)len);
            }
        }

        /// <summary>Frees the points. Safe while other threads read them; later reads throw QuiverException(Closed).</summary>
        public void Dispose() => handle.Dispose();

        private HandleLease Lease() => new HandleLease(handle, "point batch");

        private void Check(int i)
        {
            if ((uint)i >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(i), i, "entry index out of range 0.." + Count);
            }
        }
    }
}
