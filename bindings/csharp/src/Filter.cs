using System;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Quiver
{
    /// <summary>
    /// A payload filter built in code. <see cref="Json"/> is the text the library takes
    /// (<see cref="SearchOptions.Filter"/>), the same as writing it by hand:
    /// <c>Filter.And(Filter.Eq("lang", "fr"), Filter.Gte("year", 2022)).Json</c>.
    /// Values are JSON scalars: null, bool, integers, finite floats, strings.
    /// </summary>
    public sealed class Filter
    {
        private Filter(string json) => Json = json;

        /// <summary>A filter from its JSON text, as written by hand.</summary>
        public static Filter FromJson(string json) => new Filter(json ?? throw new ArgumentNullException(nameof(json)));

        /// <summary>The filter's JSON text.</summary>
        public string Json { get; }

        /// <summary>The filter's JSON text.</summary>
        public override string ToString() => Json;

        /// <summary>The field (or an element of it) equals the value.</summary>
        public static Filter Eq(string field, object value) => Cond(field, "eq", Value(value));
        /// <summary>Not <see cref="Eq"/> (a missing field matches).</summary>
        public static Filter Ne(string field, object value) => Cond(field, "ne", Value(value));
        /// <summary>Below the number or string.</summary>
        public static Filter Lt(string field, object value) => Cond(field, "lt", Value(value));
        /// <summary>At most the number or string.</summary>
        public static Filter Lte(string field, object value) => Cond(field, "lte", Value(value));
        /// <summary>Above the number or string.</summary>
        public static Filter Gt(string field, object value) => Cond(field, "gt", Value(value));
        /// <summary>At least the number or string.</summary>
        public static Filter Gte(string field, object value) => Cond(field, "gte", Value(value));
        /// <summary>low &lt;= field &lt;= high (one element in the range for an array field).</summary>
        public static Filter Between(string field, object low, object high) =>
            Cond(field, "between", "[" + Value(low) + ", " + Value(high) + "]");
        /// <summary>Equals one of the values.</summary>
        public static Filter In(string field, params object[] values) => Cond(field, "in", List(values));
        /// <summary>Equals none of the values (a missing field matches).</summary>
        public static Filter NotIn(string field, params object[] values) => Cond(field, "nin", List(values));
        /// <summary>The array field holds at least one of the values.</summary>
        public static Filter ContainsAny(string field, params object[] values) => Cond(field, "contains_any", List(values));
        /// <summary>The array field holds every one of the values.</summary>
        public static Filter ContainsAll(string field, params object[] values) => Cond(field, "contains_all", List(values));
        /// <summary>A string matching the pattern: % any run, _ one character, \ escapes.</summary>
        public static Filter Like(string field, string pattern) => Cond(field, "like", Quote(pattern));
        /// <summary><see cref="Like"/> ignoring case.</summary>
        public static Filter ILike(string field, string pattern) => Cond(field, "ilike", Quote(pattern));
        /// <summary>The field is present (whatever its value).</summary>
        public static Filter Exists(string field) => Cond(field, "exists", "true");
        /// <summary>The field is present and null.</summary>
        public static Filter IsNull(string field) => Cond(field, "is_null", "true");
        /// <summary>The field is missing, null or [].</summary>
        public static Filter IsEmpty(string field) => Cond(field, "is_empty", "true");
        /// <summary>The field holds between <paramref name="min"/> and <paramref name="max"/>
        /// values, both included (array elements, 1 for any other value, 0 when missing or
        /// null); <paramref name="max"/> null = no upper bound. Writes
        /// <c>{"field": f, "values_count": {"gte": min, "lte": max}}</c> (without <c>lte</c>
        /// when it is null); the library checks the bounds (non-negative). Other bounds
        /// (<c>eq</c>, <c>lt</c>, <c>gt</c>): <see cref="FromJson"/>.
        /// </summary>
        public static Filter ValuesCount(string field, long min, long? max = null) =>
            Cond(field, "values_count", "{\"gte\": " + min.ToString(CultureInfo.InvariantCulture) +
                (max.HasValue ? ", \"lte\": " + max.Value.ToString(CultureInfo.InvariantCulture) : "") + "}");
        /// <summary>
        /// The field's text holds every term of <paramref name="query"/>, as the field's text
        /// index analyzes it (without one: lowercased words, evaluated on the payloads).
        /// Writes <c>{"field": f, "text": query}</c>.
        /// </summary>
        public static Filter Text(string field, string query) => Cond(field, "text", Quote(query));
        /// <summary>The field's text holds at least one term of <paramref name="query"/>: <c>{"field": f, "text_any": query}</c>.</summary>
        public static Filter TextAny(string field, string query) => Cond(field, "text_any", Quote(query));
        /// <summary>
        /// The field's text holds the terms of <paramref name="query"/> in order, adjacent,
        /// within one string: <c>{"field": f, "phrase": query}</c>.
        /// </summary>
        public static Filter Phrase(string field, string query) => Cond(field, "phrase", Quote(query));
        /// <summary>The point's id is one of <paramref name="ids"/> (none: never). A filter without a field: <c>{"has_id": [1, 2]}</c>.</summary>
        public static Filter HasId(params ulong[] ids) =>
            new Filter("{\"has_id\": [" + string.Join(", ", (ids ?? new ulong[0]).Select(i => i.ToString(CultureInfo.InvariantCulture))) + "]}");
        /// <summary>Every filter matches (none: always).</summary>
        public static Filter And(params Filter[] filters) => Combine("and", filters);
        /// <summary>At least one filter matches (none: never).</summary>
        public static Filter Or(params Filter[] filters) => Combine("or", filters);
        /// <summary>The filter does not match.</summary>
        public static Filter Not(Filter filter) => new Filter("{\"not\": " + filter.Json + "}");

        private static Filter Cond(string field, string op, string arg) =>
            new Filter("{\"field\": " + Quote(field) + ", \"" + op + "\": " + arg + "}");

        private static Filter Combine(string op, Filter[] filters) =>
            new Filter("{\"" + op + "\": [" + string.Join(", ", filters.Select(f => f.Json)) + "]}");

        private static string List(object[] values) =>
            "[" + string.Join(", ", (values ?? new object[0]).Select(Value)) + "]";

        private static string Value(object v)
        {
            if (v == null) return "null";
            if (v is bool) return (bool)v ? "true" : "false";
            if (v is string) return Quote((string)v);
            if (v is float) return Finite((float)v);
            if (v is double) return Finite((double)v);
            if (v is decimal) return ((decimal)v).ToString(CultureInfo.InvariantCulture);
            if (v is sbyte || v is byte || v is short || v is ushort || v is int || v is uint || v is long || v is ulong)
            {
                return Convert.ToString(v, CultureInfo.InvariantCulture);
            }
            throw new ArgumentException("a filter value must be null, a bool, a number or a string, not " + v.GetType().Name);
        }

        private static string Finite(double d)
        {
            if (double.IsNaN(d) || double.IsInfinity(d))
            {
                throw new ArgumentException("a filter value must be a finite number, not " + d.ToString(CultureInfo.InvariantCulture));
            }
            return d.ToString("R", CultureInfo.InvariantCulture);
        }

        internal static string Quote(string s)
        {
            if (s == null) throw new ArgumentNullException(nameof(s));
            var b = new StringBuilder("\"");
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': b.Append("\\\""); break;
                    case '\\': b.Append("\\\\"); break;
                    case '\n': b.Append("\\n"); break;
                    case '\t': b.Append("\\t"); break;
                    case '\r': b.Append("\\r"); break;
                    default:
                        if (c < 0x20) b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else b.Append(c);
                        break;
                }
            }
            return b.Append('"').ToString();
        }
    }
}
