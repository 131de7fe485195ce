using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Quiver
{
    /// <summary>
    /// A small strict JSON reader for the documents the library writes
    /// (explain): objects become Dictionary&lt;string, object&gt;, arrays
    /// List&lt;object&gt;, strings string, true/false bool, null null, and
    /// numbers <see cref="JsonReader.Number"/> (their text, so that a u64 id
    /// keeps every digit). Anything else throws FormatException.
    /// </summary>
    internal sealed class JsonReader
    {
        /// <summary>A JSON number, as its text.</summary>
        internal sealed class Number
        {
            internal Number(string text) => Text = text;

            internal string Text { get; }

            public override string ToString() => Text;
        }

        private readonly string text;
        private int pos;
        private int depth;

        private JsonReader(string text) => this.text = text;

        internal static object Parse(string text)
        {
            var r = new JsonReader(text ?? throw new ArgumentNullException(nameof(text)));
            object v = r.Value();
            r.Space();
            if (r.pos != text.Length)
            {
                throw r.Error("trailing characters");
            }
            return v;
        }

        private FormatException Error(string what) => new FormatException("JSON: " + what + " at offset " + pos);

        private void Space()
        {
            while (pos < text.Length && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r'))
            {
                pos++;
            }
        }

        private bool Eat(char c)
        {
            Space();
            if (pos < text.Length && text[pos] == c)
            {
                pos++;
                return true;
            }
            return false;
        }

        private void Expect(char c)
        {
            if (!Eat(c))
            {
                throw Error("expected '" + c + "'");
            }
        }

        private object Value()
        {
            Space();
            if (pos >= text.Length)
            {
                throw Error("unexpected end");
            }
            char c = text[pos];
            switch (c)
            {
                case '{': return Object();
                case '[': return Array();
                case '"': return String();
                case 't': Word("true"); return true;
                case 'f': Word("false"); return false;
                case 'n': Word("null"); return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9'))
                    {
                        return Num();
                    }
                    throw Error("unexpected '" + c + "'");
            }
        }

        private void Enter()
        {
            if (++depth > 64)
            {
                throw Error("nested too deeply");
            }
        }

        private Dictionary<string, object> Object()
        {
            Enter();
            Expect('{');
            var d = new Dictionary<string, object>();
            if (!Eat('}'))
            {
                do
                {
                    Space();
                    string key = String();
                    Expect(':');
                    d[key] = Value();
                }
                while (Eat(','));
                Expect('}');
            }
            depth--;
            return d;
        }

        private List<object> Array()
        {
            Enter();
            Expect('[');
            var l = new List<object>();
            if (!Eat(']'))
            {
                do
                {
                    l.Add(Value());
                }
                while (Eat(','));
                Expect(']');
            }
            depth--;
            return l;
        }

        private void Word(string w)
        {
            if (string.CompareOrdinal(text, pos, w, 0, w.Length) != 0)
            {
                throw Error("expected " + w);
            }
            pos += w.Length;
        }

        private Number Num()
        {
            int start = pos;
            if (text[pos] == '-') pos++;
            int digits = pos;
            while (pos < text.Length && text[pos] >= '0' && text[pos] <= '9') pos++;
            if (pos == digits) throw Error("expected a digit");
            if (pos < text.Length && text[pos] == '.')
            {
                pos++;
                int frac = pos;
                while (pos < text.Length && text[pos] >= '0' && text[pos] <= '9') pos++;
                if (pos == frac) throw Error("expected a digit");
            }
            if (pos < text.Length && (text[pos] == 'e' || text[pos] == 'E'))
            {
                pos++;
                if (pos < text.Length && (text[pos] == '+' || text[pos] == '-')) pos++;
                int exp = pos;
                while (pos < text.Length && text[pos] >= '0' && text[pos] <= '9') pos++;
                if (pos == exp) throw Error("expected a digit");
            }
            return new Number(text.Substring(start, pos - start));
        }

        private string String()
        {
            if (pos >= text.Length || text[pos] != '"')
            {
                throw Error("expected a string");
            }
            pos++;
            var b = new StringBuilder();
            while (true)
            {
                if (pos >= text.Length) throw Error("unterminated string");
                char c = text[pos++];
                if (c == '"') return b.ToString();
                if (c < 0x20) throw Error("control character in a string");
                if (c != '\\')
                {
                    b.Append(c);
                    continue;
                }
                if (pos >= text.Length) throw Error("unterminated escape");
                char e = text[pos++];
                switch (e)
                {
                    case '"': b.Append('"'); break;
                    case '\\': b.Append('\\'); break;
                    case '/': b.Append('/'); break;
                    case 'b': b.Append('\b'); break;
                    case 'f': b.Append('\f'); break;
                    case 'n': b.Append('\n'); break;
                    case 'r': b.Append('\r'); break;
                    case 't': b.Append('\t'); break;
                    case 'u':
                        if (pos + 4 > text.Length ||
                            !ushort.TryParse(text.Substring(pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort u))
                        {
                            throw Error("bad \\u escape");
                        }
                        b.Append((char)u);
                        pos += 4;
                        break;
                    default: throw Error("bad escape '\\" + e + "'");
                }
            }
        }

        // ---- typed access, for documents of a known shape -----------------------------

        internal static Dictionary<string, object> AsObject(object v, string what) =>
            v as Dictionary<string, object> ?? throw new FormatException(what + " is not a JSON object");

        internal static List<object> AsArray(object v, string what) =>
            v as List<object> ?? throw new FormatException(what + " is not a JSON array");

        internal static object Field(Dictionary<string, object> o, string key, string what)
        {
            if (!o.TryGetValue(key, out object v))
            {
                throw new FormatException(what + " has no \"" + key + "\"");
            }
            return v;
        }

        internal static string AsString(object v, string what) =>
            v as string ?? throw new FormatException(what + " is not a string");

        internal static bool AsBool(object v, string what)
        {
            if (v is bool)
            {
                return (bool)v;
            }
            throw new FormatException(what + " is not a boolean");
        }

        internal static ulong AsUInt64(object v, string what)
        {
            var n = v as Number;
            if (n == null || !ulong.TryParse(n.Text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong x))
            {
                throw new FormatException(what + " is not a non-negative integer");
            }
            return x;
        }

        internal static long AsInt64(object v, string what)
        {
            var n = v as Number;
            if (n == null || !long.TryParse(n.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long x))
            {
                throw new FormatException(what + " is not an integer");
            }
            return x;
        }

        /// <summary>A number as a double; JSON null (how the library writes a non-finite number) is NaN.</summary>
        internal static double AsDouble(object v, string what)
        {
            if (v == null)
            {
                return double.NaN;
            }
            var n = v as Number;
            if (n == null || !double.TryParse(n.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double x))
            {
                throw new FormatException(what + " is not a number");
            }
            return x;
        }
    }
}
