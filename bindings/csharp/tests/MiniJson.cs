using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Quiver.Tests
{
    /// <summary>
    /// A strict JSON parser for the tests (Mono's base install has no JSON
    /// library): objects become Dictionary&lt;string, object&gt;, arrays
    /// List&lt;object&gt;, numbers long (integers) or double, strings string,
    /// true/false bool, null null. Anything that is not one JSON document
    /// throws FormatException.
    /// </summary>
    internal sealed class MiniJson
    {
        private readonly string text;
        private int pos;

        private MiniJson(string text)
        {
            this.text = text;
        }

        internal static object Parse(string text)
        {
            if (text == null)
            {
                throw new ArgumentNullException(nameof(text));
            }
            var p = new MiniJson(text);
            object value = p.Value();
            p.Space();
            if (p.pos != text.Length)
            {
                throw p.Error("trailing characters");
            }
            return value;
        }

        private FormatException Error(string what) =>
            new FormatException("JSON: " + what + " at offset " + pos);

        private void Space()
        {
            while (pos < text.Length && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r'))
            {
                pos++;
            }
        }

        private void Expect(char c)
        {
            Space();
            if (pos >= text.Length || text[pos] != c)
            {
                throw Error("expected '" + c + "'");
            }
            pos++;
        }

        private bool Take(string literal)
        {
            if (string.CompareOrdinal(text, pos, literal, 0, literal.Length) == 0)
            {
                pos += literal.Length;
                return true;
            }
            return false;
        }

        private object Value()
        {
            Space();
            if (pos >= text.Length)
            {
                throw Error("unexpected end");
            }
            char c = text[pos];
            if (c == '{')
            {
                pos++;
                var obj = new Dictionary<string, object>();
                Space();
                if (pos < text.Length && text[pos] == '}')
                {
                    pos++;
                    return obj;
                }
                while (true)
                {
                    Space();
                    if (pos >= text.Length || text[pos] != '"')
                    {
                        throw Error("expected a key");
                    }
                    string key = String();
                    if (obj.ContainsKey(key))
                    {
                        throw Error("duplicate key " + key);
                    }
                    Expect(':');
                    obj[key] = Value();
                    Space();
                    if (pos < text.Length && text[pos] == ',')
                    {
                        pos++;
                        continue;
                    }
                    Expect('}');
                    return obj;
                }
            }
            if (c == '[')
            {
                pos++;
                var list = new List<object>();
                Space();
                if (pos < text.Length && text[pos] == ']')
                {
                    pos++;
                    return list;
                }
                while (true)
                {
                    list.Add(Value());
                    Space();
                    if (pos < text.Length && text[pos] == ',')
                    {
                        pos++;
                        continue;
                    }
                    Expect(']');
                    return list;
                }
            }
            if (c == '"')
            {
                return String();
            }
            if (Take("true"))
            {
                return true;
            }
            if (Take("false"))
            {
                return false;
            }
            if (Take("null"))
            {
                return null;
            }
            return Number();
        }

        private string String()
        {
            pos++; // the opening quote
            var sb = new StringBuilder();
            while (true)
            {
                if (pos >= text.Length)
                {
                    throw Error("unterminated string");
                }
                char c = text[pos++];
                if (c == '"')
                {
                    return sb.ToString();
                }
                if (c < 0x20)
                {
                    throw Error("control character in a string");
                }
                if (c != '\\')
                {
                    sb.Append(c);
                    continue;
                }
                if (pos >= text.Length)
                {
                    throw Error("unterminated escape");
                }
                char e = text[pos++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (pos + 4 > text.Length ||
                            !ushort.TryParse(text.Substring(pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort u))
                        {
                            throw Error("bad \\u escape");
                        }
                        sb.Append((char)u);
                        pos += 4;
                        break;
                    default:
                        throw Error("bad escape \\" + e);
                }
            }
        }

        private object Number()
        {
            int start = pos;
            if (pos < text.Length && text[pos] == '-')
            {
                pos++;
            }
            int digits = Digits();
            if (digits == 0 || (digits > 1 && text[pos - digits] == '0'))
            {
                throw Error("bad number");
            }
            bool integer = true;
            if (pos < text.Length && text[pos] == '.')
            {
                pos++;
                integer = false;
                if (Digits() == 0)
                {
                    throw Error("bad fraction");
                }
            }
            if (pos < text.Length && (text[pos] == 'e' || text[pos] == 'E'))
            {
                pos++;
                integer = false;
                if (pos < text.Length && (text[pos] == '+' || text[pos] == '-'))
                {
                    pos++;
                }
                if (Digits() == 0)
                {
                    throw Error("bad exponent");
                }
            }
            string s = text.Substring(start, pos - start);
            if (integer && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
            {
                return l;
            }
            return double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        private int Digits()
        {
            int n = 0;
            while (pos < text.Length && text[pos] >= '0' && text[pos] <= '9')
            {
                pos++;
                n++;
            }
            return n;
        }
    }
}
