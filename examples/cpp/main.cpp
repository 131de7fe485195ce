// quickstart: Quiver from C++, on real data.
//
// Creates a database in a temporary directory, inserts 300 WordNet
// definitions (384-dimensional MiniLM sentence embeddings stored as half
// floats, with their JSON lines as payloads) in one batch, searches them by
// meaning with and without a payload filter, prints the nearest definitions,
// and removes the database again.
//
// usage: quickstart [DATA_DIR]   (default: tests/data/wordnet-sample, run
// from the repository root). See CMakeLists.txt for the build.
#include <quiver.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr size_t dim = 384, n_points = 300, k = 5;

// ---- reading the data ---------------------------------------------------------------

float half_to_float(uint16_t h) {
    const unsigned sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float v;
    if (exp == 0)
        v = std::ldexp(static_cast<float>(mant), -24); // zero or subnormal
    else if (exp == 31)
        v = mant ? NAN : INFINITY;
    else
        v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
    return sign ? -v : v;
}

// The first `rows` vectors of a little-endian half-float file.
std::vector<float> read_vectors(const std::string &path, size_t rows) {
    std::ifstream in(path, std::ios::binary);
    std::vector<unsigned char> raw(rows * dim * 2);
    if (!in.read(reinterpret_cast<char *>(raw.data()), static_cast<std::streamsize>(raw.size())))
        throw std::runtime_error("cannot read " + std::to_string(rows) + " vectors from " + path);
    std::vector<float> out(rows * dim);
    for (size_t i = 0; i < out.size(); i++)
        out[i] = half_to_float(static_cast<uint16_t>(raw[2 * i] | raw[2 * i + 1] << 8));
    return out;
}

// The first `rows` lines of a JSON-lines file.
std::vector<std::string> read_lines(const std::string &path, size_t rows) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; lines.size() < rows && std::getline(in, line);) lines.push_back(line);
    if (lines.size() != rows) throw std::runtime_error("cannot read " + std::to_string(rows) + " lines from " + path);
    return lines;
}

// ---- reading a string member out of a JSON payload ------------------------------------

void skip_ws(std::string_view s, size_t &i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
}

// Decodes the JSON string at s[i] (the opening quote) and moves i past it.
std::optional<std::string> read_string(std::string_view s, size_t &i) {
    if (i >= s.size() || s[i] != '"') return std::nullopt;
    std::string out;
    for (i++; i < s.size(); i++) {
        char c = s[i];
        if (c == '"') {
            i++;
            return out;
        }
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i >= s.size()) return std::nullopt;
        switch (s[i]) {
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': { // a code point below U+0800 is all this demo needs to show
            if (i + 4 >= s.size()) return std::nullopt;
            const unsigned long cp = std::strtoul(std::string(s.substr(i + 1, 4)).c_str(), nullptr, 16);
            if (cp < 0x80) {
                out += static_cast<char>(cp);
            } else if (cp < 0x800) {
                out += static_cast<char>(0xc0 | cp >> 6);
                out += static_cast<char>(0x80 | (cp & 0x3f));
            } else {
                out += '?';
            }
            i += 4;
            break;
        }
        default: out += s[i]; // '"', '\\', '/'
        }
    }
    return std::nullopt;
}

// Skips one JSON value (objects and arrays included).
bool skip_value(std::string_view s, size_t &i) {
    int depth = 0;
    do {
        skip_ws(s, i);
        if (i >= s.size()) return false;
        const char c = s[i];
        if (c == '"') {
            if (!read_string(s, i)) return false;
        } else if (c == '{' || c == '[') {
            depth++, i++;
        } else if (c == '}' || c == ']') {
            if (depth-- == 0) return false;
            i++;
        } else if (depth > 0) {
            i++; // ',' ':' or a character of a scalar inside a container
        } else {
            while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ') i++;
        }
    } while (depth > 0);
    return true;
}

// The string member `key` of the JSON object `json`, if it has one.
std::optional<std::string> string_member(std::string_view json, std::string_view key) {
    size_t i = 0;
    skip_ws(json, i);
    if (i >= json.size() || json[i++] != '{') return std::nullopt;
    for (;;) {
        skip_ws(json, i);
        const std::optional<std::string> name = read_string(json, i);
        skip_ws(json, i);
        if (!name || i >= json.size() || json[i++] != ':') return std::nullopt;
        skip_ws(json, i);
        if (*name == key && i < json.size() && json[i] == '"') return read_string(json, i);
        if (!skip_value(json, i)) return std::nullopt;
        skip_ws(json, i);
        if (i < json.size() && json[i] == ',') i++;
    }
}

// ---- the demo ---------------------------------------------------------------------------

// Prints score, id and definition text of each hit of the first query.
void print_hits(const quiver::Results &results) {
    for (const quiver::Hit &hit : results[0]) {
        const std::string text = string_member(hit.payload, "text").value_or("(no text)");
        std::printf("  %.3f  #%-4llu %s\n", hit.score, static_cast<unsigned long long>(hit.id), text.c_str());
    }
}

// A directory that is removed with everything in it.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "quiver-quickstart-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

} // namespace

int main(int argc, char **argv) {
    const std::string data = argc > 1 ? argv[1] : "tests/data/wordnet-sample";
    std::printf("quiver %s (ABI %u)\n", std::string(quiver::version()).c_str(), quiver::abi_version());
    if (quiver::abi_version() != quiver::header_abi_version) {
        std::fprintf(stderr, "quickstart: built against ABI %u, the library has %u\n", quiver::header_abi_version,
                     quiver::abi_version());
        return 1;
    }
    try {
        const std::vector<float> vectors = read_vectors(data + "/base.f16", n_points);
        const std::vector<float> query = read_vectors(data + "/queries.f16", 1);
        const std::vector<std::string> payloads = read_lines(data + "/base.jsonl", n_points);
        std::vector<uint64_t> ids(n_points);
        for (size_t i = 0; i < n_points; i++) ids[i] = i; // line i of base.jsonl is point i

        TempDir dir;
        // A database is a directory; a collection holds points of one dimension.
        quiver::Database db = quiver::Database::open(dir.path.string());
        quiver::Collection defs = db.create_collection("definitions", quiver::CollectionConfig(dim)); // cosine

        // One batch: ids, vectors (row-major) and JSON payloads.
        defs.upsert(ids, vectors, payloads);
        std::printf("inserted %llu definitions into %s\n", static_cast<unsigned long long>(defs.count()),
                    dir.path.c_str());

        // The query is the embedding of a definition that is not in the base.
        std::printf("\nnearest definitions to query 0:\n");
        const quiver::Results nearest = defs.search(query, quiver::SearchParams(k).with_payload());
        print_hits(nearest);

        std::printf("\nthe same, verbs only ({\"field\": \"pos\", \"eq\": \"verb\"}):\n");
        const quiver::Results verbs =
            defs.search(query, quiver::SearchParams(k).with_payload().filter(R"({"field": "pos", "eq": "verb"})"));
        print_hits(verbs);

        db.close(); // checkpoints; ~Collection and ~Database release the handles
        return 0;
    } catch (const quiver::Error &e) {
        std::fprintf(stderr, "quickstart: quiver error (%s): %s\n", quiver::status_name(e.status()), e.what());
    } catch (const std::exception &e) {
        std::fprintf(stderr, "quickstart: %s\n", e.what());
    }
    return 1;
}
