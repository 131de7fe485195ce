using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Quiver
{
    /// <summary>
    /// A sparse vector: <see cref="Count"/> entries, <see cref="Indices"/>[j] holding
    /// <see cref="Values"/>[j]. The indices may come in any order (the library stores them
    /// sorted and returns them sorted); an index twice, or a value that is not finite, is
    /// refused by the library (InvalidArgument) when the vector is written or searched.
    /// The struct refers to the two arrays it was made with (no copy); <c>default</c> is the
    /// empty vector. Equality is entry by entry, in order (see <see cref="Sorted"/>).
    /// </summary>
    public readonly struct SparseVector : IEquatable<SparseVector>
    {
        private readonly uint[] indices;
        private readonly float[] values;

        /// <summary>The vector with <paramref name="values"/>[j] at <paramref name="indices"/>[j] (the arrays are not copied).</summary>
        /// <exception cref="ArgumentNullException">An array is null.</exception>
        /// <exception cref="QuiverException">InvalidArgument: the arrays differ in length.</exception>
        public SparseVector(uint[] indices, float[] values)
        {
            if (indices == null)
            {
                throw new ArgumentNullException(nameof(indices));
            }
            if (values == null)
            {
                throw new ArgumentNullException(nameof(values));
            }
            if (indices.Length != values.Length)
            {
                throw Errors.Invalid("a sparse vector has " + indices.Length + " indices and " + values.Length + " values");
            }
            this.indices = indices;
            this.values = values;
        }

        /// <summary>The vector holding the entries of <paramref name="entries"/> (index → value), by ascending index.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="entries"/> is null.</exception>
        public SparseVector(IDictionary<uint, float> entries)
        {
            if (entries == null)
            {
                throw new ArgumentNullException(nameof(entries));
            }
            indices = new uint[entries.Count];
            values = new float[entries.Count];
            int j = 0;
            foreach (KeyValuePair<uint, float> e in entries)
            {
                indices[j] = e.Key;
                values[j] = e.Value;
                j++;
            }
            Array.Sort(indices, values);
        }

        /// <summary>The indices (the array the vector was made with; empty for <c>default</c>).</summary>
        public uint[] Indices => indices ?? Array.Empty<uint>();

        /// <summary>The values, one per index (the array the vector was made with; empty for <c>default</c>).</summary>
        public float[] Values => values ?? Array.Empty<float>();

        /// <summary>The number of entries.</summary>
        public int Count => indices == null ? 0 : indices.Length;

        /// <summary>Whether the vector has no entries (written, it removes a point's vector of that name).</summary>
        public bool IsEmpty => Count == 0;

        /// <summary>A copy with the entries by ascending index, as the library stores and returns them.</summary>
        public SparseVector Sorted()
        {
            var i = (uint[])Indices.Clone();
            var v = (float[])Values.Clone();
            Array.Sort(i, v);
            return new SparseVector(i, v);
        }

        /// <summary>Whether <paramref name="other"/> has the same entries in the same order (values by <see cref="float.Equals(float)"/>).</summary>
        public bool Equals(SparseVector other)
        {
            int n = Count;
            if (other.Count != n)
            {
                return false;
            }
            for (int j = 0; j < n; j++)
            {
                if (indices[j] != other.indices[j] || !values[j].Equals(other.values[j]))
                {
                    return false;
                }
            }
            return true;
        }

        /// <summary>As <see cref="Equals(SparseVector)"/>.</summary>
        public override bool Equals(object obj) => obj is SparseVector other && Equals(other);

        /// <summary>A hash of the entries.</summary>
        public override int GetHashCode()
        {
            int h = Count;
            for (int j = 0; j < Count; j++)
            {
                h = unchecked(h * 31 + (int)indices[j]) ^ values[j].GetHashCode();
            }
            return h;
        }

        /// <summary>As <see cref="Equals(SparseVector)"/>.</summary>
        public static bool operator ==(SparseVector a, SparseVector b) => a.Equals(b);

        /// <summary>Not <see cref="Equals(SparseVector)"/>.</summary>
        public static bool operator !=(SparseVector a, SparseVector b) => !a.Equals(b);

        /// <summary>For diagnostics: <c>{3: 0.5, 7: 1}</c>.</summary>
        public override string ToString()
        {
            var s = new StringBuilder("{");
            for (int j = 0; j < Count; j++)
            {
                if (j > 0)
                {
                    s.Append(", ");
                }
                s.Append(indices[j]).Append(": ").Append(values[j].ToString("R", CultureInfo.InvariantCulture));
            }
            return s.Append('}').ToString();
        }
    }

    /// <summary>
    /// The sparse vectors of one name for a batch of points (<c>qv_sparse_column</c>), one row
    /// per id of the write it goes to, in compressed sparse row form: row i is entries
    /// <c>Indptr[i]</c> to <c>Indptr[i + 1]</c>; an empty row gives that point no vector of
    /// this name (<see cref="QuiverCollection.UpsertSparse(ulong[], float[], string[], SparseColumn[])"/>)
    /// or removes it (<see cref="QuiverCollection.UpdateSparse(ulong[], SparseColumn)"/>).
    /// Made from <see cref="SparseVector"/>s (copied once into the three arrays), or from the
    /// three arrays themselves (used as they are, no copy). Immutable otherwise; one column may
    /// serve many writes and threads at once.
    /// </summary>
    public sealed class SparseColumn
    {
        private readonly ulong[] indptr;
        private readonly uint[] indices;
        private readonly float[] values;

        /// <summary>
        /// The column <paramref name="name"/> with row i = <paramref name="vectors"/>[i]
        /// (null or empty = no vector for that point), converted here to one CSR buffer.
        /// </summary>
        /// <param name="name">The vectors' name: 1 to 256 bytes of UTF-8, no control characters
        /// (the library checks it when the column is written).</param>
        /// <param name="vectors">One entry per point of the write, in the order of its ids.</param>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> or <paramref name="vectors"/> is null.</exception>
        /// <exception cref="ArgumentException">More than 2^31 - 1 entries in all, or a name with a lone surrogate.</exception>
        public SparseColumn(string name, params SparseVector?[] vectors)
        {
            NameUtf8 = Utf8.Encode(name, nameof(name));
            Name = name;
            if (vectors == null)
            {
                throw new ArgumentNullException(nameof(vectors));
            }
            var rows = new SparseVector[vectors.Length];
            for (int i = 0; i < rows.Length; i++)
            {
                rows[i] = vectors[i] ?? default(SparseVector);
            }
            Flatten(rows, out indptr, out indices, out values);
        }

        /// <summary>
        /// The column <paramref name="name"/> with row i = <paramref name="vectors"/>[i] (an empty
        /// vector = none for that point), converted here to one CSR buffer.
        /// </summary>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> or <paramref name="vectors"/> is null.</exception>
        public SparseColumn(string name, IReadOnlyList<SparseVector> vectors)
        {
            NameUtf8 = Utf8.Encode(name, nameof(name));
            Name = name;
            if (vectors == null)
            {
                throw new ArgumentNullException(nameof(vectors));
            }
            var rows = new SparseVector[vectors.Count];
            for (int i = 0; i < rows.Length; i++)
            {
                rows[i] = vectors[i];
            }
            Flatten(rows, out indptr, out indices, out values);
        }

        /// <summary>
        /// The column <paramref name="name"/> in the C ABI's form, used as it is (no copy): row i
        /// is <paramref name="indices"/> and <paramref name="values"/> from
        /// <paramref name="indptr"/>[i] to <paramref name="indptr"/>[i + 1]. <paramref name="indptr"/>
        /// holds one entry per point plus one, starts at 0, never decreases (the library checks
        /// that) and ends at the length of <paramref name="indices"/> (the binding checks that
        /// on each write, since the library cannot see the arrays' lengths).
        /// </summary>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="QuiverException">InvalidArgument: <paramref name="indices"/> and
        /// <paramref name="values"/> differ in length, or <paramref name="indptr"/> is empty.</exception>
        public SparseColumn(string name, ulong[] indptr, uint[] indices, float[] values)
        {
            NameUtf8 = Utf8.Encode(name, nameof(name));
            Name = name;
            this.indptr = indptr ?? throw new ArgumentNullException(nameof(indptr));
            this.indices = indices ?? throw new ArgumentNullException(nameof(indices));
            this.values = values ?? throw new ArgumentNullException(nameof(values));
            if (indices.Length != values.Length)
            {
                throw Errors.Invalid("sparse column \"" + name + "\" has " + indices.Length + " indices and " + values.Length + " values");
            }
            if (indptr.Length == 0)
            {
                throw Errors.Invalid("sparse column \"" + name + "\": indptr needs one entry per point plus one, it has none");
            }
        }

        /// <summary>The vectors' name.</summary>
        public string Name { get; }

        /// <summary>Rows: the number of points the column is for.</summary>
        public int Count => indptr.Length - 1;

        internal byte[] NameUtf8 { get; }
        internal ulong[] Indptr => indptr;
        internal uint[] Indices => indices;
        internal float[] Values => values;

        /// <summary>Row <paramref name="i"/> as a vector (a copy), or null when it is empty.</summary>
        public SparseVector? GetRow(int i)
        {
            if ((uint)i >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(i), i, "row index out of range 0.." + Count);
            }
            ulong a = indptr[i], b = indptr[i + 1];
            if (b == a)
            {
                return null;
            }
            if (b < a || b > (ulong)indices.Length)
            {
                throw Errors.Invalid("sparse column \"" + Name + "\": row " + i + " runs from " + a + " to " + b +
                    ", outside the " + indices.Length + " entries");
            }
            int len = (int)(b - a);
            var ix = new uint[len];
            var vs = new float[len];
            Array.Copy(indices, (long)a, ix, 0, len);
            Array.Copy(values, (long)a, vs, 0, len);
            return new SparseVector(ix, vs);
        }

        // Checks what the library cannot see before it reads the arrays: one row per id, and
        // indptr ending at the entries there are (it reads indptr[n] indices and values).
        internal void CheckFor(int n, string what)
        {
            if (indptr.Length != n + 1)
            {
                throw Errors.Invalid(what + " (\"" + Name + "\") has " + Count + " rows for " + n + " ids");
            }
            if (indptr[n] != (ulong)indices.Length)
            {
                throw Errors.Invalid(what + " (\"" + Name + "\"): indptr ends at " + indptr[n] + ", but there are " +
                    indices.Length + " indices and values");
            }
        }

        private static void Flatten(SparseVector[] rows, out ulong[] indptr, out uint[] indices, out float[] values)
        {
            long total = 0;
            foreach (SparseVector v in rows)
            {
                total += v.Count;
            }
            if (total > int.MaxValue)
            {
                throw new ArgumentException("a sparse column holds more than 2^31 - 1 entries", "vectors");
            }
            indptr = new ulong[rows.Length + 1];
            indices = new uint[total];
            values = new float[total];
            int at = 0;
            for (int i = 0; i < rows.Length; i++)
            {
                int n = rows[i].Count;
                if (n > 0)
                {
                    Array.Copy(rows[i].Indices, 0, indices, at, n);
                    Array.Copy(rows[i].Values, 0, values, at, n);
                    at += n;
                }
                indptr[i + 1] = (ulong)at;
            }
        }

        /// <summary>For diagnostics.</summary>
        public override string ToString() => "sparse(\"" + Name + "\" rows=" + Count + " entries=" + indices.Length + ")";
    }

    /// <summary>
    /// Per-call parameters of <see cref="QuiverCollection.SparseSearch"/>
    /// (<c>qv_sparse_search_params</c>, the name aside): <see cref="K"/>, a payload
    /// <see cref="Filter"/> and payloads. Defaults come from the library
    /// (<c>qv_sparse_search_params_init</c>: k 10, no payloads, no filter). Not shared state:
    /// one instance may be used by many threads at once as long as nobody changes it meanwhile.
    /// </summary>
    public sealed class SparseSearchOptions
    {
        private int k;
        private string filter;
        private byte[] filterUtf8;

        /// <summary>The library's defaults.</summary>
        public unsafe SparseSearchOptions()
        {
            NativeMethods.qv_sparse_search_params p;
            NativeMethods.qv_sparse_search_params_init(&p);
            k = unchecked((int)p.k);
            WithPayload = p.with_payload != 0;
        }

        /// <summary>The defaults with <paramref name="k"/> results.</summary>
        public SparseSearchOptions(int k) : this() => K = k;

        /// <summary>Results, 1 to 100000 (0 and larger values are passed on and rejected by the library). Default 10.</summary>
        public int K
        {
            get => k;
            set => k = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(K), value, "k must not be negative");
        }

        /// <summary>Return each hit's payload (JSON text, byte for byte as written).</summary>
        public bool WithPayload { get; set; }

        /// <summary>
        /// A payload filter as JSON text, as <see cref="SearchOptions.Filter"/> takes it
        /// (e.g. <c>Filter.Eq("lang", "en").Json</c>); null = none.
        /// </summary>
        public string Filter
        {
            get => filter;
            set
            {
                filterUtf8 = Utf8.EncodeOptional(value, nameof(Filter));
                filter = value;
            }
        }

        internal byte[] FilterUtf8 => filterUtf8;

        internal unsafe NativeMethods.qv_sparse_search_params ToNative(byte* name, int nameLen, byte* filterJson, int filterLen)
        {
            NativeMethods.qv_sparse_search_params p;
            NativeMethods.qv_sparse_search_params_init(&p);
            p.k = (uint)k;
            p.with_payload = WithPayload ? 1u : 0u;
            p.name = name;
            p.name_len = (ulong)nameLen;
            p.filter_json = filterJson;
            p.filter_len = (ulong)filterLen;
            return p;
        }

        /// <summary>For diagnostics.</summary>
        public override string ToString() =>
            "k=" + k + " with_payload=" + WithPayload + (filter == null ? "" : " filter=" + filter);
    }
}
