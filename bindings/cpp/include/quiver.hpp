// quiver.hpp: C++17 interface of Quiver, an embeddable vector database.
//
// A header-only, thin layer over the C interface in quiver.h: move-only
// types that own the C handles and free them in their destructors, errors as
// `quiver::Error` exceptions carrying the C status code, inputs taken as
// pointer + size views (`quiver::span`), and results read in place from the
// buffers the library returned (no copies). Nothing here re-implements the
// engine: every call is one C call (plus type conversion).
//
//     #include <quiver.hpp>
//
//     quiver::Database db = quiver::Database::open("/tmp/my-db");
//     quiver::Collection docs = db.create_collection("docs", quiver::CollectionConfig(3));
//     std::vector<uint64_t> ids = {1, 2};
//     std::vector<float> vectors = {1, 0, 0, 0, 1, 0};
//     std::vector<std::string> payloads = {R"({"lang":"en"})", R"({"lang":"fr"})"};
//     docs.upsert(ids, vectors, payloads);
//     std::vector<float> query = {0.9f, 0.1f, 0.0f};
//     quiver::Results results =
//         docs.search(query, quiver::SearchParams(5).with_payload().filter(R"({"field":"lang","eq":"fr"})"));
//     for (quiver::Hit hit : results[0]) std::cout << hit.id << ' ' << hit.score << ' ' << hit.payload << '\n';
//     db.close();
//
// Ownership and lifetime
// - Database, Collection, Results, Points and Traversal are move-only. The destructor
//   releases the handle (qv_*_free) and never throws. A Collection keeps its
//   database open (the C library's rule), so the objects may be destroyed in
//   any order. ~Database does not report errors of the final checkpoint:
//   call close() to see them.
// - Views (QueryHits, Hit::payload, PointRef::vector, Visit::path, spans
//   returned by Results/Points) borrow from the Results/Points/Traversal
//   object they came from and are valid until it is destroyed or assigned
//   to. Calling a view-returning
//   member on a temporary (`coll.search(q)[0]`) does not compile, so a view
//   cannot outlive its owner by accident: keep the Results in a variable.
// - PointsPages (Collection::scroll_pages) reads pages through the
//   collection's handle as it is iterated: the Collection must outlive it.
//
// Moved-from objects (and objects after release())
// - A moved-from Database or Collection holds no handle: valid() and
//   `operator bool` return false; close() is a no-op; every other member
//   function throws quiver::Error with Status::InvalidArgument (what the C
//   library answers for a NULL handle) before calling the library.
// - A moved-from Results, Points or Traversal is empty: zero queries / zero
//   points / zero visits.
//
// Errors
// - Every failing call throws quiver::Error (a std::runtime_error) whose
//   status() is the C status code as quiver::Status and whose what() is the
//   library's message with context. Codes this header does not know (added
//   by a newer library) keep their numeric value; status_name() says
//   "unknown error" for them. std::bad_alloc may come from the few places
//   that build C++ containers (list_collections, scroll, payload batches,
//   selections, payload key lists, explain, the field list of a text
//   search, the branch arrays of a hybrid search, the rows of a multi-query
//   search, the compressed rows a sparse write copies its vectors into,
//   the vectors get_sparse copies out, the edges add_edges converts and
//   get_edges / find_edges copy out, the label arrays of traversal and path
//   options, the visit headers a Traversal reads, the points and edges of a
//   Path). Collection::train_quantizer
//   rethrows whatever its progress callback threw.
// - The C library validates everything; this header adds checks only where
//   the C signature has no length to check against (the query count of a
//   batch search, the `counts` array of search_into, the payload offsets of
//   upsert, the row lengths of a multi_query_search given one vector per
//   query, the one vector per id of a sparse write and the one value per
//   index of a sparse vector, which the C layout gives one length for),
//   for an empty quiver::where() filter (which the C call would
//   take as "no ids"), for an empty set_graph_schema text (which the C
//   call would take as "remove the schema") and for objects without a handle; they throw
//   Status::InvalidArgument too.
//
// Thread safety
// - Database and Collection member functions may be called from any number
//   of threads at once on the same object (as the C handles allow), except
//   the special members (move, destructor) and release(). close() may be
//   called while other threads use the object: their later calls throw
//   Status::Closed. Results and Points are immutable: any thread may read.
// - The progress callback of Collection::train_quantizer runs on the thread
//   that called it (the library trains on its own threads meanwhile), one
//   call at a time.
#ifndef QUIVER_HPP
#define QUIVER_HPP

#if defined(_MSVC_LANG) ? _MSVC_LANG < 201703L : (!defined(__cplusplus) || __cplusplus < 201703L)
#error "quiver.hpp needs C++17 or later (e.g. -std=c++17)"
#endif

#include <quiver.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace quiver {

// ---- versions -----------------------------------------------------------------

/// The ABI version this header was written against (QV_ABI_VERSION).
inline constexpr uint32_t header_abi_version = QV_ABI_VERSION;

/// The version of the loaded library, e.g. "0.1.0" (qv_version()).
inline std::string_view version() noexcept { return qv_version(); }

/// The ABI version of the loaded library (qv_abi_version()); differs from
/// header_abi_version when the program runs against a mismatched library.
inline uint32_t abi_version() noexcept { return qv_abi_version(); }

// ---- errors -------------------------------------------------------------------

/// The C status codes (qv_status). A library newer than this header may
/// return codes not listed here; they keep their numeric value.
enum class Status : int32_t {
    Ok = QV_OK,
    InvalidArgument = QV_ERR_INVALID_ARGUMENT,
    DimensionMismatch = QV_ERR_DIMENSION_MISMATCH,
    NotFound = QV_ERR_NOT_FOUND,
    AlreadyExists = QV_ERR_ALREADY_EXISTS,
    Closed = QV_ERR_CLOSED,
    Io = QV_ERR_IO,
    Corrupt = QV_ERR_CORRUPT,
    IncompatibleFormat = QV_ERR_INCOMPATIBLE_FORMAT,
    Locked = QV_ERR_LOCKED,
    Unsupported = QV_ERR_UNSUPPORTED,
    QuerySyntax = QV_ERR_QUERY_SYNTAX,
    OutOfMemory = QV_ERR_OUT_OF_MEMORY,
    Internal = QV_ERR_INTERNAL,
    Panic = QV_ERR_PANIC,
    /// The collection refuses writes until it is reopened: an I/O error after
    /// a log append (a failed fsync, a full disk) or a caught panic left its
    /// state uncertain. Reads and searches still work; Stats::read_only_cause
    /// says why. Closing the database and opening it again recovers.
    ReadOnly = QV_ERR_READ_ONLY,
    /// A long operation (Collection::train_quantizer) stopped because its
    /// progress callback returned false; it changed nothing.
    Cancelled = QV_ERR_CANCELLED,
};

/// A short name for a status ("not found"); "unknown error" for codes this
/// header does not know.
inline const char *status_name(Status s) noexcept {
    switch (s) {
    case Status::Ok: return "ok";
    case Status::InvalidArgument: return "invalid argument";
    case Status::DimensionMismatch: return "dimension mismatch";
    case Status::NotFound: return "not found";
    case Status::AlreadyExists: return "already exists";
    case Status::Closed: return "closed";
    case Status::Io: return "i/o error";
    case Status::Corrupt: return "corrupt";
    case Status::IncompatibleFormat: return "incompatible format";
    case Status::Locked: return "locked";
    case Status::Unsupported: return "unsupported";
    case Status::QuerySyntax: return "query syntax";
    case Status::OutOfMemory: return "out of memory";
    case Status::Internal: return "internal error";
    case Status::Panic: return "panic";
    case Status::ReadOnly: return "read only";
    case Status::Cancelled: return "cancelled";
    }
    return "unknown error";
}

/// The exception every failing call throws: the C status code and the
/// library's message.
class Error : public std::runtime_error {
public:
    Error(Status status, const std::string &message)
        : std::runtime_error(message.empty() ? std::string(status_name(status)) : message),
          status_(status) {}

    /// The status code.
    Status status() const noexcept { return status_; }
    /// The status code as the raw C value.
    int32_t code() const noexcept { return static_cast<int32_t>(status_); }

private:
    Status status_;
};

namespace detail {

struct ErrorFree {
    void operator()(qv_error *e) const noexcept { qv_error_free(e); }
};
using ErrorPtr = std::unique_ptr<qv_error, ErrorFree>;

// Turns a status and its (owned) error object into an exception. The error
// object is freed on every path, also when building the message throws.
inline void check(int32_t status, qv_error *err) {
    ErrorPtr owned(err);
    if (status == QV_OK) return;
    throw Error(static_cast<Status>(status), err != nullptr ? std::string(qv_error_message(err)) : std::string());
}

// Calls `f(&err)` (a C call taking the trailing `qv_error **`) and throws on
// failure.
template <class F>
void call(F &&f) {
    qv_error *err = nullptr;
    const int32_t status = std::forward<F>(f)(&err);
    check(status, err);
}

[[noreturn]] inline void throw_invalid(const std::string &message) {
    throw Error(Status::InvalidArgument, "invalid argument: " + message);
}

inline const uint8_t *bytes(std::string_view s) noexcept { return reinterpret_cast<const uint8_t *>(s.data()); }

inline std::string_view text(const uint8_t *data, const uint64_t *offsets, size_t i) noexcept {
    if (data == nullptr || offsets == nullptr) return {};
    return std::string_view(reinterpret_cast<const char *>(data) + offsets[i],
                            static_cast<size_t>(offsets[i + 1] - offsets[i]));
}

// A random-access iterator over the entries `source(0) .. source(n - 1)` of
// a view; `Source` is a small callable copied into the iterator, so the
// iterator stays valid as long as the owning Results / Points lives.
template <class Source, class Value>
class IndexIterator {
public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = Value;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Value;

    IndexIterator() noexcept = default;
    IndexIterator(const Source &source, size_t i) noexcept : source_(source), i_(i) {}

    Value operator*() const noexcept { return source_(i_); }
    Value operator[](difference_type n) const noexcept { return source_(i_ + static_cast<size_t>(n)); }
    IndexIterator &operator++() noexcept { return ++i_, *this; }
    IndexIterator operator++(int) noexcept {
        IndexIterator t = *this;
        ++i_;
        return t;
    }
    IndexIterator &operator--() noexcept { return --i_, *this; }
    IndexIterator operator--(int) noexcept {
        IndexIterator t = *this;
        --i_;
        return t;
    }
    IndexIterator &operator+=(difference_type n) noexcept { return i_ += static_cast<size_t>(n), *this; }
    IndexIterator &operator-=(difference_type n) noexcept { return i_ -= static_cast<size_t>(n), *this; }
    friend IndexIterator operator+(IndexIterator it, difference_type n) noexcept { return it += n; }
    friend IndexIterator operator+(difference_type n, IndexIterator it) noexcept { return it += n; }
    friend IndexIterator operator-(IndexIterator it, difference_type n) noexcept { return it -= n; }
    friend difference_type operator-(const IndexIterator &a, const IndexIterator &b) noexcept {
        return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
    }
    friend bool operator==(const IndexIterator &a, const IndexIterator &b) noexcept { return a.i_ == b.i_; }
    friend bool operator!=(const IndexIterator &a, const IndexIterator &b) noexcept { return a.i_ != b.i_; }
    friend bool operator<(const IndexIterator &a, const IndexIterator &b) noexcept { return a.i_ < b.i_; }
    friend bool operator>(const IndexIterator &a, const IndexIterator &b) noexcept { return a.i_ > b.i_; }
    friend bool operator<=(const IndexIterator &a, const IndexIterator &b) noexcept { return a.i_ <= b.i_; }
    friend bool operator>=(const IndexIterator &a, const IndexIterator &b) noexcept { return a.i_ >= b.i_; }

private:
    Source source_{};
    size_t i_ = 0;
};

} // namespace detail

// ---- span -----------------------------------------------------------------------

/// A borrowed, contiguous run of `T`: pointer + size. Built from a pointer
/// and a size, a std::vector, std::array, C array, initializer list (valid
/// for the call it is passed to) or any contiguous container with data() and
/// size() (std::span too). It never owns or copies.
template <class T>
class span {
public:
    using element_type = T;
    using value_type = std::remove_cv_t<T>;
    using iterator = T *;

    constexpr span() noexcept = default;
    constexpr span(T *data, size_t size) noexcept : data_(data), size_(size) {}

    template <size_t N>
    constexpr span(T (&array)[N]) noexcept : data_(array), size_(N) {}

    // For a call argument: `coll.get({1, 2, 3})`. The list lives until the
    // end of the full expression, like the call.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
    template <class U = T, class = std::enable_if_t<std::is_const_v<U>>>
    constexpr span(std::initializer_list<value_type> list) noexcept : data_(list.begin()), size_(list.size()) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

    template <class C,
              class = std::enable_if_t<!std::is_same_v<std::remove_cv_t<std::remove_reference_t<C>>, span> &&
                                       std::is_convertible_v<decltype(std::data(std::declval<C &>())), T *> &&
                                       std::is_convertible_v<decltype(std::size(std::declval<C &>())), size_t>>>
    constexpr span(C &&container) noexcept : data_(std::data(container)), size_(std::size(container)) {}

    constexpr T *data() const noexcept { return data_; }
    constexpr size_t size() const noexcept { return size_; }
    constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr T &operator[](size_t i) const noexcept { return data_[i]; }
    constexpr T *begin() const noexcept { return data_; }
    constexpr T *end() const noexcept { return data_ + size_; }
    constexpr span subspan(size_t offset, size_t count) const noexcept { return span(data_ + offset, count); }

private:
    T *data_ = nullptr;
    size_t size_ = 0;
};

// ---- options --------------------------------------------------------------------

/// Distance / similarity of a vector collection (QV_METRIC_*).
enum class Metric : uint32_t {
    Cosine = QV_METRIC_COSINE,       ///< cosine similarity, higher is closer
    Euclidean = QV_METRIC_EUCLIDEAN, ///< L2 distance, lower is closer
    Dot = QV_METRIC_DOT,             ///< dot product, higher is closer
    Hamming = QV_METRIC_HAMMING,     ///< differing positions, lower is closer
    Jaccard = QV_METRIC_JACCARD,     ///< Jaccard similarity of non-zero positions, higher is closer
};

/// What a field index holds (QV_FIELD_*).
enum class FieldKind : uint32_t {
    Keyword = QV_FIELD_KEYWORD, ///< strings (equality, in, ordering by code point)
    Integer = QV_FIELD_INTEGER, ///< integers (a float with an integral value counts)
    Float = QV_FIELD_FLOAT,     ///< numbers, as doubles
    Bool = QV_FIELD_BOOL,       ///< booleans
    /// RFC 3339 datetime strings, compared as instants ("2024-05-01T10:00:00+02:00",
    /// or a date "2024-05-01", UTC); lt, lte, gt, gte, between with datetime strings
    Datetime = QV_FIELD_DATETIME,
    /// Full text: BM25 search (Collection::text_search) and the text, text_any
    /// and phrase filter conditions. create_field_index(field, FieldKind::Text)
    /// creates it with the default analyzer; Collection::create_text_index
    /// takes the analyzer's options (TextIndexOptions). A field may have one
    /// text index besides one value index (the other kinds).
    Text = QV_FIELD_TEXT,
};

/// One field index of a collection (Collection::field_indexes()).
struct FieldIndex {
    std::string field;       ///< the payload field, a dotted path
    FieldKind kind;          ///< what it holds
    uint64_t ram_bytes = 0;  ///< heap its per-segment indexes hold
    uint64_t disk_bytes = 0; ///< bytes of its files
};

/// What a collection holds (QV_KIND_*).
enum class Kind : uint32_t {
    Vector = QV_KIND_VECTOR,              ///< points with vectors (default)
    MetadataOnly = QV_KIND_METADATA_ONLY, ///< payloads only, no vectors
};

/// How a vector collection's sealed segments store what searches walk
/// (QV_STORAGE_*). Fixed at creation.
///
/// Every mode but F32 is quantized: a search walks the codes, keeps the
/// best k x oversampling candidates and rescores them on the original
/// vectors, which stay on disk, so the scores returned are exact
/// (SearchParams::oversampling, rescore; the default oversampling depends
/// on the mode). Quantized modes take the metrics cosine, dot and euclidean
/// only; their codes are trained when a segment is sealed and retrained by
/// Collection::train_quantizer.
enum class Storage : uint32_t {
    F32 = QV_STORAGE_F32, ///< 32-bit floats (default); scores are exact
    /// One byte per dimension (trained per segment); default oversampling 3.
    Sq8 = QV_STORAGE_SQ8,
    /// IEEE half floats, 2 bytes per dimension (11 significant bits, values
    /// up to 65504); default oversampling 2.
    F16 = QV_STORAGE_F16,
    /// bfloat16, 2 bytes per dimension (8 significant bits, the range of
    /// f32); default oversampling 2.
    Bf16 = QV_STORAGE_BF16,
    /// One bit per dimension (the sign around the segment's mean) plus 8
    /// bytes per point; default oversampling 5 (10 below 256 dimensions).
    Binary = QV_STORAGE_BINARY,
    /// Product quantization: one byte per subspace
    /// (CollectionConfig::pq_subspaces, pq_centroids), trained by k-means
    /// per segment; default oversampling 5.
    Pq = QV_STORAGE_PQ,
};

/// When writes are fsynced (QV_SYNC_*).
enum class Sync : uint32_t {
    EveryBatch = QV_SYNC_EVERY_BATCH, ///< every write batch, before it returns (default)
    Never = QV_SYNC_NEVER,            ///< only at checkpoints (survives a crash, not a power loss)
};

/// Options of Database::open (qv_database_options). Defaults come from the
/// library (qv_database_options_init).
class DatabaseOptions {
public:
    DatabaseOptions() noexcept { qv_database_options_init(&raw_); }

    DatabaseOptions &sync(Sync s) noexcept {
        raw_.sync = static_cast<uint32_t>(s);
        return *this;
    }
    Sync sync() const noexcept { return static_cast<Sync>(raw_.sync); }

    const qv_database_options &raw() const noexcept { return raw_; }
    qv_database_options &raw() noexcept { return raw_; }

private:
    qv_database_options raw_;
};

/// Configuration of a new collection (qv_collection_config). Defaults come
/// from the library (qv_collection_config_init: vector kind, cosine, HNSW
/// m 16, ef_construction 200, ef_search 64, f32 storage, PQ subspaces 0 =
/// automatic and 256 centroids); set at least the dimension of a vector
/// collection. Setters chain:
/// `CollectionConfig(384).metric(Metric::Dot).hnsw_m(32).storage(Storage::Sq8)`,
/// `CollectionConfig(384).storage(Storage::Pq).pq_subspaces(96).pq_centroids(128)`.
class CollectionConfig {
public:
    /// The library's defaults, dimension 0.
    CollectionConfig() noexcept { qv_collection_config_init(&raw_); }
    /// A vector collection of `dimension` floats per vector, cosine.
    explicit CollectionConfig(uint32_t dimension) noexcept : CollectionConfig() { raw_.dimension = dimension; }
    /// A vector collection of `dimension` floats per vector with `metric`.
    CollectionConfig(uint32_t dimension, Metric metric) noexcept : CollectionConfig(dimension) {
        raw_.metric = static_cast<uint32_t>(metric);
    }
    /// A metadata-only collection (payloads, no vectors).
    static CollectionConfig metadata_only() noexcept { return CollectionConfig().kind(Kind::MetadataOnly); }
    /// Wraps a C config as it is.
    static CollectionConfig from_raw(const qv_collection_config &raw) noexcept {
        CollectionConfig c;
        c.raw_ = raw;
        return c;
    }

    CollectionConfig &kind(Kind k) noexcept {
        raw_.kind = static_cast<uint32_t>(k);
        return *this;
    }
    CollectionConfig &dimension(uint32_t d) noexcept {
        raw_.dimension = d;
        return *this;
    }
    CollectionConfig &metric(Metric m) noexcept {
        raw_.metric = static_cast<uint32_t>(m);
        return *this;
    }
    /// HNSW links per node (2..=128).
    CollectionConfig &hnsw_m(uint32_t m) noexcept {
        raw_.hnsw_m = m;
        return *this;
    }
    /// HNSW build candidate list (1..=10000).
    CollectionConfig &hnsw_ef_construction(uint32_t ef) noexcept {
        raw_.hnsw_ef_construction = ef;
        return *this;
    }
    /// Default search candidate list (1..=10000).
    CollectionConfig &hnsw_ef_search(uint32_t ef) noexcept {
        raw_.hnsw_ef_search = ef;
        return *this;
    }
    /// How sealed segments store the vectors searches walk (default F32).
    /// The quantized modes (every one but F32) need a vector collection with
    /// metric cosine, dot or euclidean: create_collection throws
    /// Status::InvalidArgument otherwise.
    CollectionConfig &storage(Storage s) noexcept {
        raw_.storage = static_cast<uint32_t>(s);
        return *this;
    }
    /// Storage::Pq: subspaces, i.e. code bytes per point; must divide the
    /// dimension (create_collection throws Status::InvalidArgument naming
    /// config.pq_subspaces otherwise). 0 (the default) picks the largest
    /// divisor of the dimension not above dimension / 8 (48 for 384).
    /// Used by Pq only, checked in every mode. Collection::train_quantizer changes it
    /// later.
    CollectionConfig &pq_subspaces(uint32_t m) noexcept {
        raw_.pq_subspaces = m;
        return *this;
    }
    /// Storage::Pq: centroids per subspace, 2 to 256 (default 256).
    CollectionConfig &pq_centroids(uint32_t k) noexcept {
        raw_.pq_centroids = k;
        return *this;
    }

    Kind kind() const noexcept { return static_cast<Kind>(raw_.kind); }
    uint32_t dimension() const noexcept { return raw_.dimension; }
    Metric metric() const noexcept { return static_cast<Metric>(raw_.metric); }
    uint32_t hnsw_m() const noexcept { return raw_.hnsw_m; }
    uint32_t hnsw_ef_construction() const noexcept { return raw_.hnsw_ef_construction; }
    uint32_t hnsw_ef_search() const noexcept { return raw_.hnsw_ef_search; }
    /// A library newer than this header may report a value not listed in
    /// Storage; it keeps its numeric value.
    Storage storage() const noexcept { return static_cast<Storage>(raw_.storage); }
    /// As set (0 = automatic; Collection::config() reports 0 too for a
    /// collection created with 0 and not retrained with another value).
    uint32_t pq_subspaces() const noexcept { return raw_.pq_subspaces; }
    uint32_t pq_centroids() const noexcept { return raw_.pq_centroids; }

    const qv_collection_config &raw() const noexcept { return raw_; }
    qv_collection_config &raw() noexcept { return raw_; }

private:
    qv_collection_config raw_;
};

/// A JSON scalar for a filter condition: null, a bool, a number or a string.
class FilterValue {
public:
    FilterValue(std::nullptr_t) : json_("null") {}
    FilterValue(bool b) : json_(b ? "true" : "false") {}
    FilterValue(int v) : json_(std::to_string(v)) {}
    FilterValue(long v) : json_(std::to_string(v)) {}
    FilterValue(long long v) : json_(std::to_string(v)) {}
    FilterValue(unsigned v) : json_(std::to_string(v)) {}
    FilterValue(unsigned long v) : json_(std::to_string(v)) {}
    FilterValue(unsigned long long v) : json_(std::to_string(v)) {}
    /// Throws Error(Status::InvalidArgument) for NaN and infinities (JSON has none).
    FilterValue(double v) {
        if (!std::isfinite(v)) throw Error(Status::InvalidArgument, "filter value is not a finite number");
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", v);
        json_ = buf;
    }
    FilterValue(const char *s) : FilterValue(std::string_view(s)) {}
    FilterValue(const std::string &s) : FilterValue(std::string_view(s)) {}
    FilterValue(std::string_view s) : json_(quote(s)) {}

    /// The value as JSON text.
    const std::string &json() const noexcept { return json_; }

    /// `s` as a JSON string literal.
    static std::string quote(std::string_view s) {
        std::string out = "\"";
        for (char c : s) {
            switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    out += buf;
                } else {
                    out += c;
                }
            }
        }
        return out + "\"";
    }

private:
    std::string json_;
};

/// The bounds of a values_count condition (non-negative counts):
/// `CountBounds().gte(2).lt(5)` is `{"gte": 2, "lt": 5}`. Setting a bound
/// twice keeps the last value; the JSON lists them as eq, gt, gte, lt, lte.
class CountBounds {
public:
    CountBounds &eq(uint64_t n) noexcept { return set(0, n); }
    CountBounds &gt(uint64_t n) noexcept { return set(1, n); }
    CountBounds &gte(uint64_t n) noexcept { return set(2, n); }
    CountBounds &lt(uint64_t n) noexcept { return set(3, n); }
    CountBounds &lte(uint64_t n) noexcept { return set(4, n); }

    /// The bounds as a JSON object (`{}` when none is set).
    std::string json() const {
        static const char *const names[5] = {"eq", "gt", "gte", "lt", "lte"};
        std::string out = "{";
        for (size_t i = 0; i < 5; i++) {
            if (!bounds_[i]) continue;
            if (out.size() > 1) out += ", ";
            out += std::string("\"") + names[i] + "\": " + std::to_string(*bounds_[i]);
        }
        return out + "}";
    }

private:
    CountBounds &set(size_t i, uint64_t n) noexcept {
        bounds_[i] = n;
        return *this;
    }
    std::optional<uint64_t> bounds_[5];
};

/// A payload filter built in code; json() is the text the library takes,
/// the same as writing it by hand:
/// `Filter::and_({Filter::eq("lang", "fr"), Filter::gte("year", 2022)})`.
/// A field is a dotted path (`meta.lang`); `tags[].name` is the `name` of
/// each object of the array `tags`. Comparisons of two RFC 3339 datetime
/// strings (lt ... between) compare instants:
/// `Filter::gte("at", "2024-01-01T00:00:00Z")`. Full-text conditions
/// (text, text_any, phrase) match the terms of a query:
/// `Filter::phrase("body", "red fish")`.
class Filter {
public:
    /// A filter from its JSON text, as written by hand.
    explicit Filter(std::string json) : json_(std::move(json)) {}

    const std::string &json() const noexcept { return json_; }

    static Filter eq(std::string_view field, const FilterValue &v) { return cond(field, "eq", v.json()); }
    static Filter ne(std::string_view field, const FilterValue &v) { return cond(field, "ne", v.json()); }
    static Filter lt(std::string_view field, const FilterValue &v) { return cond(field, "lt", v.json()); }
    static Filter lte(std::string_view field, const FilterValue &v) { return cond(field, "lte", v.json()); }
    static Filter gt(std::string_view field, const FilterValue &v) { return cond(field, "gt", v.json()); }
    static Filter gte(std::string_view field, const FilterValue &v) { return cond(field, "gte", v.json()); }
    /// low <= field <= high (one element in the range for an array field).
    static Filter between(std::string_view field, const FilterValue &low, const FilterValue &high) {
        return cond(field, "between", "[" + low.json() + ", " + high.json() + "]");
    }
    static Filter in(std::string_view field, std::initializer_list<FilterValue> vs) { return cond(field, "in", list(vs)); }
    /// Equals none of the values (a missing field matches).
    static Filter not_in(std::string_view field, std::initializer_list<FilterValue> vs) {
        return cond(field, "nin", list(vs));
    }
    static Filter contains_any(std::string_view field, std::initializer_list<FilterValue> vs) {
        return cond(field, "contains_any", list(vs));
    }
    static Filter contains_all(std::string_view field, std::initializer_list<FilterValue> vs) {
        return cond(field, "contains_all", list(vs));
    }
    /// A string matching `pattern`: % any run, _ one character, \ escapes.
    static Filter like(std::string_view field, std::string_view pattern) {
        return cond(field, "like", FilterValue::quote(pattern));
    }
    static Filter ilike(std::string_view field, std::string_view pattern) {
        return cond(field, "ilike", FilterValue::quote(pattern));
    }
    /// Full text: the field holds every term of `query` (as the field's text
    /// index analyzes it; without one, as the default analyzer does: words,
    /// lowercased). `text("body", "red fish")` is
    /// `{"field": "body", "text": "red fish"}`.
    static Filter text(std::string_view field, std::string_view query) {
        return cond(field, "text", FilterValue::quote(query));
    }
    /// Full text: the field holds any term of `query`:
    /// `{"field": "body", "text_any": "red fish"}`.
    static Filter text_any(std::string_view field, std::string_view query) {
        return cond(field, "text_any", FilterValue::quote(query));
    }
    /// Full text: the field holds the terms of `query` in order, adjacent,
    /// within one string: `{"field": "body", "phrase": "red fish"}`.
    static Filter phrase(std::string_view field, std::string_view query) {
        return cond(field, "phrase", FilterValue::quote(query));
    }
    static Filter exists(std::string_view field) { return cond(field, "exists", "true"); }
    static Filter is_null(std::string_view field) { return cond(field, "is_null", "true"); }
    static Filter is_empty(std::string_view field) { return cond(field, "is_empty", "true"); }
    static Filter and_(std::initializer_list<Filter> fs) { return combine("and", fs); }
    static Filter or_(std::initializer_list<Filter> fs) { return combine("or", fs); }
    static Filter not_(const Filter &f) { return Filter("{\"not\": " + f.json_ + "}"); }
    /// The field holds `min` to `max` values, both included (array
    /// elements; 1 for another value; 0 when missing or null); no `max`: no
    /// upper bound. `values_count("tags", 2, 4)` is
    /// `{"field": "tags", "values_count": {"gte": 2, "lte": 4}}`.
    static Filter values_count(std::string_view field, uint64_t min, std::optional<uint64_t> max = std::nullopt) {
        CountBounds b;
        b.gte(min);
        if (max) b.lte(*max);
        return values_count(field, b);
    }
    /// The number of values within any bounds:
    /// `values_count("tags", CountBounds().gte(2).lt(5))` is
    /// `{"field": "tags", "values_count": {"gte": 2, "lt": 5}}`.
    static Filter values_count(std::string_view field, const CountBounds &bounds) {
        return cond(field, "values_count", bounds.json());
    }
    /// The point's id is one of `ids` (no field): `{"has_id": [1, 2, 3]}`.
    static Filter has_id(span<const uint64_t> ids) {
        std::string out = "{\"has_id\": [";
        for (size_t i = 0; i < ids.size(); i++) out += (i == 0 ? "" : ", ") + std::to_string(ids[i]);
        return Filter(out + "]}");
    }

private:
    static Filter cond(std::string_view field, const char *op, const std::string &arg) {
        return Filter("{\"field\": " + FilterValue::quote(field) + ", \"" + op + "\": " + arg + "}");
    }
    static std::string list(std::initializer_list<FilterValue> vs) {
        std::string out = "[";
        for (const FilterValue &v : vs) out += (out.size() > 1 ? ", " : "") + v.json();
        return out + "]";
    }
    static Filter combine(const char *op, std::initializer_list<Filter> fs) {
        std::string out = std::string("{\"") + op + "\": [";
        bool first = true;
        for (const Filter &f : fs) {
            out += (first ? "" : ", ") + f.json_;
            first = false;
        }
        return Filter(out + "]}");
    }

    std::string json_;
};

/// Per-call search parameters (qv_search_params). Defaults come from the
/// library (qv_search_params_init: k 10, the collection's ef, graph search,
/// no payloads, no filter; in quantized storage modes the mode's default
/// oversampling and rescoring). Setters chain:
/// `SearchParams(5).ef(128).with_payload().filter(R"({"field":"lang","eq":"fr"})")`.
class SearchParams {
public:
    SearchParams() noexcept { qv_search_params_init(&raw_); }
    /// The defaults with `k` results per query.
    explicit SearchParams(uint32_t k) noexcept : SearchParams() { raw_.k = k; }

    /// Results per query (>= 1).
    SearchParams &k(uint32_t k) noexcept {
        raw_.k = k;
        return *this;
    }
    /// HNSW candidate list size; 0 = the collection's hnsw_ef_search.
    SearchParams &ef(uint32_t ef) noexcept {
        raw_.ef = ef;
        return *this;
    }
    /// Exact (brute-force) search instead of the graph.
    SearchParams &exact(bool on = true) noexcept {
        raw_.exact = on ? 1u : 0u;
        return *this;
    }
    /// Return payloads with the hits (Results mode only).
    SearchParams &with_payload(bool on = true) noexcept {
        raw_.with_payload = on ? 1u : 0u;
        return *this;
    }
    /// A payload filter as JSON text, e.g. `{"field": "category", "eq": "noun.animal"}`;
    /// empty = no filter. The text is copied into the parameters.
    SearchParams &filter(std::string_view json) {
        filter_.assign(json.data(), json.size());
        return *this;
    }
    /// The same with a built filter.
    SearchParams &filter(const Filter &f) { return filter(f.json()); }
    /// Quantized storage (every Storage but F32): the walk on the codes
    /// keeps the best k x `factor` candidates for rescoring; 1 to 100, or 0
    /// (the default) for the mode's default: 2 for F16 and Bf16, 3 for Sq8,
    /// 5 for Pq and Binary (Binary: 10 below 256 dimensions). Out of range: the search throws
    /// Status::InvalidArgument (with Storage::F32 too, which otherwise
    /// ignores it).
    SearchParams &oversampling(float factor) noexcept {
        raw_.oversampling = factor;
        return *this;
    }
    /// Quantized storage: rescore the candidates on the original vectors
    /// (the default), so the scores returned are exact; false = return the
    /// scores estimated on the codes (faster, approximate). Ignored with
    /// Storage::F32, whose scores are always exact.
    SearchParams &rescore(bool on = true) noexcept {
        raw_.rescore = on ? 1u : 0u;
        return *this;
    }

    uint32_t k() const noexcept { return raw_.k; }
    uint32_t ef() const noexcept { return raw_.ef; }
    bool exact() const noexcept { return raw_.exact != 0; }
    bool with_payload() const noexcept { return raw_.with_payload != 0; }
    const std::string &filter() const noexcept { return filter_; }
    /// 0 = the library's default.
    float oversampling() const noexcept { return raw_.oversampling; }
    bool rescore() const noexcept { return raw_.rescore != 0; }

    /// The C struct, pointing into this object's filter text (valid while
    /// this object lives and is not changed).
    qv_search_params to_c() const noexcept {
        qv_search_params p = raw_;
        p.filter_json = filter_.empty() ? nullptr : detail::bytes(filter_);
        p.filter_len = filter_.size();
        return p;
    }

private:
    qv_search_params raw_;
    std::string filter_;
};

/// How a text search matches points (QV_TEXT_*). A returned point scores
/// over every field searched, not only the one that matched.
enum class TextMode : uint32_t {
    Any = QV_TEXT_ANY,       ///< points holding any term of the query in a field (default)
    All = QV_TEXT_ALL,       ///< points where one field holds every term (as that field analyzes the query)
    Phrase = QV_TEXT_PHRASE, ///< points where one field holds the terms in order, adjacent, within one string
};

/// One field of a text search and its weight in the score:
/// `TextField{"title", 2}`.
struct TextField {
    /// The payload field, a dotted path with a text index.
    std::string name;
    /// Its weight: finite, >= 0 (1 = as is).
    float boost = 1.0f;
};

/// How a text index analyzes text and scores it (qv_text_index_options),
/// for Collection::create_text_index. Defaults come from the library
/// (qv_text_index_options_init: words split at Unicode word boundaries and
/// apostrophes, lowercased, no ASCII folding, no stop words, no stemming;
/// BM25 k1 1.2, b 0.75). The same analyzer runs on the indexed text and on
/// the queries. Setters chain: `TextIndexOptions().stemming().stop_words().k1(1.5)`.
/// The library checks the values (Status::InvalidArgument naming
/// options.k1 or options.b).
class TextIndexOptions {
public:
    TextIndexOptions() noexcept { qv_text_index_options_init(&raw_); }

    /// Fold letters with diacritics to ASCII (`café` matches `cafe`).
    TextIndexOptions &ascii_folding(bool on = true) noexcept {
        raw_.ascii_folding = on ? 1u : 0u;
        return *this;
    }
    /// Drop the English stop words (`the`, `of`, ...: Lucene's 33).
    TextIndexOptions &stop_words(bool on = true) noexcept {
        raw_.stop_words = on ? 1u : 0u;
        return *this;
    }
    /// Reduce words to their English (Porter 2) stem (`fishes` matches `fish`).
    TextIndexOptions &stemming(bool on = true) noexcept {
        raw_.stemming = on ? 1u : 0u;
        return *this;
    }
    /// BM25 term-frequency saturation, 0 to 1000 (default 1.2).
    TextIndexOptions &k1(float k1) noexcept {
        raw_.k1 = k1;
        return *this;
    }
    /// BM25 length normalisation, 0 to 1 (default 0.75).
    TextIndexOptions &b(float b) noexcept {
        raw_.b = b;
        return *this;
    }

    bool ascii_folding() const noexcept { return raw_.ascii_folding != 0; }
    bool stop_words() const noexcept { return raw_.stop_words != 0; }
    bool stemming() const noexcept { return raw_.stemming != 0; }
    float k1() const noexcept { return raw_.k1; }
    float b() const noexcept { return raw_.b; }

    const qv_text_index_options &raw() const noexcept { return raw_; }
    qv_text_index_options &raw() noexcept { return raw_; }

private:
    qv_text_index_options raw_;
};

/// Per-call parameters of Collection::text_search (qv_text_search_params).
/// Defaults come from the library (qv_text_search_params_init: k 10, any
/// term, no payloads, no filter); name at least one field. Setters chain:
/// `TextSearchParams(5).field("body").field("title", 2).mode(TextMode::All).filter(Filter::eq("lang", "en"))`.
class TextSearchParams {
public:
    TextSearchParams() noexcept { qv_text_search_params_init(&raw_); }
    /// The defaults with `k` results.
    explicit TextSearchParams(uint32_t k) noexcept : TextSearchParams() { raw_.k = k; }

    /// Results, 1 to 100000.
    TextSearchParams &k(uint32_t k) noexcept {
        raw_.k = k;
        return *this;
    }
    /// Which points match (default TextMode::Any).
    TextSearchParams &mode(TextMode m) noexcept {
        raw_.mode = static_cast<uint32_t>(m);
        return *this;
    }
    /// Return payloads with the hits.
    TextSearchParams &with_payload(bool on = true) noexcept {
        raw_.with_payload = on ? 1u : 0u;
        return *this;
    }
    /// Adds a field to search (a dotted path with a text index) with its
    /// boost. Copied.
    TextSearchParams &field(std::string_view name, float boost = 1.0f) {
        fields_.push_back(TextField{std::string(name), boost});
        return *this;
    }
    /// Replaces the fields to search: `fields({{"body", 1}, {"title", 2}})`.
    TextSearchParams &fields(std::vector<TextField> fs) {
        fields_ = std::move(fs);
        return *this;
    }
    /// A payload filter as JSON text; empty = no filter. Copied.
    TextSearchParams &filter(std::string_view json) {
        filter_.assign(json.data(), json.size());
        return *this;
    }
    /// The same with a built filter.
    TextSearchParams &filter(const Filter &f) { return filter(f.json()); }

    uint32_t k() const noexcept { return raw_.k; }
    /// A library newer than this header may take a value not listed in
    /// TextMode; it keeps its numeric value.
    TextMode mode() const noexcept { return static_cast<TextMode>(raw_.mode); }
    bool with_payload() const noexcept { return raw_.with_payload != 0; }
    const std::vector<TextField> &fields() const noexcept { return fields_; }
    const std::string &filter() const noexcept { return filter_; }

    /// The C struct: fills `fields` with one qv_text_field per field
    /// (pointing into this object's names) and returns the parameters
    /// pointing into `fields` and into this object's filter text (valid
    /// while both live and neither is changed).
    qv_text_search_params to_c(std::vector<qv_text_field> &fields) const {
        fields.clear();
        fields.reserve(fields_.size());
        for (const TextField &f : fields_)
            fields.push_back(qv_text_field{detail::bytes(f.name), f.name.size(), f.boost, 0});
        qv_text_search_params p = raw_;
        p.fields = fields.empty() ? nullptr : fields.data();
        p.nfields = fields.size();
        p.filter_json = filter_.empty() ? nullptr : detail::bytes(filter_);
        p.filter_len = filter_.size();
        return p;
    }

private:
    qv_text_search_params raw_;
    std::vector<TextField> fields_;
    std::string filter_;
};

// ---- sparse vectors -------------------------------------------------------------

/// A sparse vector: `values[j]` at index `indices[j]`, every other index 0.
/// Written or searched with, the indices may come in any order (the
/// library stores them sorted; an index given twice is an error), one
/// finite value per index; Collection::get_sparse returns them sorted by
/// index. An aggregate: `SparseVector{{3, 17, 420}, {0.5f, 1.25f, 0.1f}}`.
struct SparseVector {
    std::vector<uint32_t> indices;
    std::vector<float> values;

    /// Entries (indices.size()).
    size_t size() const noexcept { return indices.size(); }
    /// True when it has no entry (written: the point gets no vector of
    /// that name).
    bool empty() const noexcept { return indices.empty() && values.empty(); }

    friend bool operator==(const SparseVector &a, const SparseVector &b) noexcept {
        return a.indices == b.indices && a.values == b.values;
    }
    friend bool operator!=(const SparseVector &a, const SparseVector &b) noexcept { return !(a == b); }
};

/// The sparse vectors of one name for a batch of points, for
/// Collection::upsert: one SparseVector per id, in the order of the ids
/// (an empty one: that point gets no vector of this name).
/// `SparseColumn{"splade", {v0, v1, v2}}`.
struct SparseColumn {
    /// The vectors' name: 1 to 256 bytes of UTF-8, no control characters.
    std::string name;
    /// One per id.
    std::vector<SparseVector> vectors;
};

/// Per-call parameters of Collection::sparse_search
/// (qv_sparse_search_params without the name, which sparse_search and
/// HybridBranch::sparse take). Defaults come from the library
/// (qv_sparse_search_params_init: k 10, no payloads, no filter). Setters
/// chain: `SparseSearchParams(5).filter(Filter::eq("lang", "en")).with_payload()`.
class SparseSearchParams {
public:
    SparseSearchParams() noexcept { qv_sparse_search_params_init(&raw_); }
    /// The defaults with `k` results.
    explicit SparseSearchParams(uint32_t k) noexcept : SparseSearchParams() { raw_.k = k; }

    /// Results, 1 to 100000.
    SparseSearchParams &k(uint32_t k) noexcept {
        raw_.k = k;
        return *this;
    }
    /// Return payloads with the hits.
    SparseSearchParams &with_payload(bool on = true) noexcept {
        raw_.with_payload = on ? 1u : 0u;
        return *this;
    }
    /// A payload filter as JSON text; empty = no filter. Copied.
    SparseSearchParams &filter(std::string_view json) {
        filter_.assign(json.data(), json.size());
        return *this;
    }
    /// The same with a built filter.
    SparseSearchParams &filter(const Filter &f) { return filter(f.json()); }

    uint32_t k() const noexcept { return raw_.k; }
    bool with_payload() const noexcept { return raw_.with_payload != 0; }
    const std::string &filter() const noexcept { return filter_; }

    /// The C struct for the vectors called `name`, pointing into `name`
    /// and into this object's filter text (valid while both live and
    /// neither is changed).
    qv_sparse_search_params to_c(std::string_view name) const noexcept {
        qv_sparse_search_params p = raw_;
        p.name = name.empty() ? nullptr : detail::bytes(name);
        p.name_len = name.size();
        p.filter_json = filter_.empty() ? nullptr : detail::bytes(filter_);
        p.filter_len = filter_.size();
        return p;
    }

private:
    qv_sparse_search_params raw_;
    std::string filter_;
};

namespace detail {

// One name's sparse vectors for a batch in the C layout (compressed sparse
// rows), copied from one SparseVector per point: row i is
// indices/values[indptr[i], indptr[i + 1]). Owns the arrays column() points
// into. The CSR layout has one length for a row's indices and values, so
// a row with more of one than of the other is refused here; `what(i)`
// names row i in that error.
class SparseCsr {
public:
    template <class What>
    SparseCsr(span<const SparseVector> rows, const What &what) {
        size_t total = 0;
        for (size_t i = 0; i < rows.size(); i++) {
            const SparseVector &v = rows[i];
            if (v.indices.size() != v.values.size())
                throw_invalid(what(i) + ": " + std::to_string(v.indices.size()) + " indices and " +
                              std::to_string(v.values.size()) + " values; give one value per index");
            total += v.indices.size();
        }
        indptr_.reserve(rows.size() + 1);
        indices_.reserve(total);
        values_.reserve(total);
        indptr_.push_back(0);
        for (const SparseVector &v : rows) {
            indices_.insert(indices_.end(), v.indices.begin(), v.indices.end());
            values_.insert(values_.end(), v.values.begin(), v.values.end());
            indptr_.push_back(indices_.size());
        }
    }

    // The C column named `name` (valid while *this and `name` live).
    qv_sparse_column column(std::string_view name) const noexcept {
        return qv_sparse_column{bytes(name), name.size(), indptr_.data(), indices_.empty() ? nullptr : indices_.data(),
                                values_.empty() ? nullptr : values_.data()};
    }

private:
    std::vector<uint64_t> indptr_;
    std::vector<uint32_t> indices_;
    std::vector<float> values_;
};

} // namespace detail

// ---- hybrid and multi-query search ------------------------------------------------

/// How Collection::hybrid_search fuses its branches' rankings
/// (QV_FUSION_*). For a point, each branch whose hits hold it adds
/// weight x its contribution:
enum class Fusion : uint32_t {
    /// Reciprocal rank fusion: weight / (rrf_k + rank), rank counted from 1
    /// in the branch's own order (default; only the positions matter).
    Rrf = QV_FUSION_RRF,
    /// Relative score fusion: the branch's scores (distances negated)
    /// min-max normalised to [0, 1], best 1 (all equal: each gets 1).
    Rsf = QV_FUSION_RSF,
    /// Distribution-based score fusion: the branch's scores (distances
    /// negated) normalised over mean +- 3 population standard deviations,
    /// clamped to [0, 1] (all equal: each gets 1).
    Dbsf = QV_FUSION_DBSF,
    /// The raw scores (distances negated): meaningful when the branches'
    /// scales are comparable, or the weights make them so.
    Weighted = QV_FUSION_WEIGHTED,
};

/// What a hybrid branch searches (QV_BRANCH_*).
enum class BranchKind : uint32_t {
    Dense = QV_BRANCH_DENSE,   ///< a vector search
    Text = QV_BRANCH_TEXT,     ///< a BM25 full-text search
    Sparse = QV_BRANCH_SPARSE, ///< a sparse vector search (dot product)
};

/// One branch of a hybrid search, owning what it searches with (a copy of
/// the vector, the query text or the sparse query, and of the parameters):
/// `HybridBranch::dense(query, SearchParams(20))`,
/// `HybridBranch::text("red fish", TextSearchParams(20).field("body"), 2)`,
/// `HybridBranch::sparse("splade", SparseVector{{3, 17}, {0.5f, 1.2f}}, SparseSearchParams(20))`.
/// The branch's k is its candidate depth; with_payload of its parameters
/// is ignored (HybridSearchParams::with_payload decides).
class HybridBranch {
public:
    /// A dense branch: `vector` (the collection's dimension; copied),
    /// searched with `params` (k = depth, ef, exact, filter, oversampling,
    /// rescore), of weight `weight` (finite, >= 0).
    static HybridBranch dense(span<const float> vector, const SearchParams &params, float weight = 1.0f) {
        HybridBranch b(BranchKind::Dense, weight);
        b.vector_.assign(vector.begin(), vector.end());
        b.search_ = params;
        return b;
    }
    /// A text branch: `query` (copied) searched with `params` (k = depth,
    /// fields and boosts, mode, filter), of weight `weight` (finite, >= 0).
    static HybridBranch text(std::string_view query, const TextSearchParams &params, float weight = 1.0f) {
        HybridBranch b(BranchKind::Text, weight);
        b.query_.assign(query.data(), query.size());
        b.text_ = params;
        return b;
    }
    /// A sparse branch: `query` (copied) searched among the sparse vectors
    /// called `name` with `params` (k = depth, filter), of weight `weight`
    /// (finite, >= 0). Throws Status::InvalidArgument when the query has
    /// not one value per index (the C branch has one length for both);
    /// the library checks the rest when the search runs.
    static HybridBranch sparse(std::string_view name, const SparseVector &query, const SparseSearchParams &params,
                               float weight = 1.0f) {
        if (query.indices.size() != query.values.size())
            detail::throw_invalid("HybridBranch::sparse: the query has " + std::to_string(query.indices.size()) +
                                  " indices and " + std::to_string(query.values.size()) +
                                  " values; give one value per index");
        HybridBranch b(BranchKind::Sparse, weight);
        b.sparse_name_.assign(name.data(), name.size());
        b.sparse_query_ = query;
        b.sparse_ = params;
        return b;
    }

    /// Its weight in the fusion.
    HybridBranch &weight(float w) noexcept {
        weight_ = w;
        return *this;
    }

    BranchKind kind() const noexcept { return kind_; }
    float weight() const noexcept { return weight_; }
    /// Dense: the query vector (empty for the other kinds).
    const std::vector<float> &vector() const noexcept { return vector_; }
    /// Dense: its search parameters (the defaults for the other kinds).
    const SearchParams &search_params() const noexcept { return search_; }
    /// Text: the query text (empty for the other kinds).
    const std::string &query() const noexcept { return query_; }
    /// Text: its parameters (the defaults for the other kinds).
    const TextSearchParams &text_params() const noexcept { return text_; }
    /// Sparse: the name of the sparse vectors searched (empty for the
    /// other kinds).
    const std::string &sparse_name() const noexcept { return sparse_name_; }
    /// Sparse: the query (empty for the other kinds).
    const SparseVector &sparse_query() const noexcept { return sparse_query_; }
    /// Sparse: its parameters (the defaults for the other kinds).
    const SparseSearchParams &sparse_params() const noexcept { return sparse_; }

private:
    HybridBranch(BranchKind k, float w) noexcept : kind_(k), weight_(w) {}

    BranchKind kind_;
    float weight_;
    std::vector<float> vector_;
    SearchParams search_;
    std::string query_;
    TextSearchParams text_;
    std::string sparse_name_;
    SparseVector sparse_query_;
    SparseSearchParams sparse_;
};

/// Parameters of Collection::hybrid_search (qv_hybrid_params). Defaults
/// come from the library (qv_hybrid_params_init: k 10, Fusion::Rrf with
/// rrf_k 60, no payloads); add at least one branch. Setters chain:
/// `HybridSearchParams(10).branch(HybridBranch::dense(q, SearchParams(50)))
///      .branch(HybridBranch::text("red fish", TextSearchParams(50).field("body"))).fusion(Fusion::Rsf)`.
class HybridSearchParams {
public:
    HybridSearchParams() noexcept { qv_hybrid_params_init(&raw_); }
    /// The defaults with `k` fused results.
    explicit HybridSearchParams(uint32_t k) noexcept : HybridSearchParams() { raw_.k = k; }

    /// Fused results, 1 to 100000.
    HybridSearchParams &k(uint32_t k) noexcept {
        raw_.k = k;
        return *this;
    }
    /// How the branches are fused (default Fusion::Rrf).
    HybridSearchParams &fusion(Fusion f) noexcept {
        raw_.fusion = static_cast<uint32_t>(f);
        return *this;
    }
    /// RRF's constant, > 0 (default 60; ignored by the other fusions).
    HybridSearchParams &rrf_k(float k) noexcept {
        raw_.rrf_k = k;
        return *this;
    }
    /// Return payloads with the hits.
    HybridSearchParams &with_payload(bool on = true) noexcept {
        raw_.with_payload = on ? 1u : 0u;
        return *this;
    }
    /// Adds a branch.
    HybridSearchParams &branch(HybridBranch b) {
        branches_.push_back(std::move(b));
        return *this;
    }
    /// Replaces the branches.
    HybridSearchParams &branches(std::vector<HybridBranch> bs) {
        branches_ = std::move(bs);
        return *this;
    }

    uint32_t k() const noexcept { return raw_.k; }
    /// A library newer than this header may take a value not listed in
    /// Fusion; it keeps its numeric value.
    Fusion fusion() const noexcept { return static_cast<Fusion>(raw_.fusion); }
    float rrf_k() const noexcept { return raw_.rrf_k; }
    bool with_payload() const noexcept { return raw_.with_payload != 0; }
    const std::vector<HybridBranch> &branches() const noexcept { return branches_; }

    /// The C arrays to_c builds: one qv_hybrid_branch per branch and the
    /// per-branch parameter structs and text field lists they point to.
    struct CArrays {
        std::vector<qv_hybrid_branch> branches;
        std::vector<qv_search_params> search;
        std::vector<qv_text_search_params> text;
        std::vector<std::vector<qv_text_field>> fields;
        std::vector<qv_sparse_search_params> sparse;
    };

    /// The C struct: fills `arrays` and returns the parameters pointing
    /// into it and into this object's branches (valid while both live and
    /// neither is changed).
    qv_hybrid_params to_c(CArrays &arrays) const {
        const size_t n = branches_.size();
        arrays.branches.assign(n, qv_hybrid_branch{});
        arrays.search.assign(n, qv_search_params{});
        arrays.text.assign(n, qv_text_search_params{});
        arrays.fields.assign(n, std::vector<qv_text_field>());
        arrays.sparse.assign(n, qv_sparse_search_params{});
        for (size_t i = 0; i < n; i++) {
            const HybridBranch &b = branches_[i];
            qv_hybrid_branch &c = arrays.branches[i];
            qv_hybrid_branch_init(&c);
            c.kind = static_cast<uint32_t>(b.kind());
            c.weight = b.weight();
            if (b.kind() == BranchKind::Dense) {
                arrays.search[i] = b.search_params().to_c();
                c.vector = b.vector().empty() ? nullptr : b.vector().data();
                c.dim = b.vector().size();
                c.search = &arrays.search[i];
            } else if (b.kind() == BranchKind::Text) {
                arrays.text[i] = b.text_params().to_c(arrays.fields[i]);
                c.query = b.query().empty() ? nullptr : detail::bytes(b.query());
                c.query_len = b.query().size();
                c.text = &arrays.text[i];
            } else {
                const SparseVector &q = b.sparse_query();
                arrays.sparse[i] = b.sparse_params().to_c(b.sparse_name());
                c.sparse_indices = q.indices.empty() ? nullptr : q.indices.data();
                c.sparse_values = q.values.empty() ? nullptr : q.values.data();
                c.sparse_nnz = q.indices.size();
                c.sparse = &arrays.sparse[i];
            }
        }
        qv_hybrid_params p = raw_;
        p.branches = n == 0 ? nullptr : arrays.branches.data();
        p.nbranches = n;
        return p;
    }

private:
    qv_hybrid_params raw_;
    std::vector<HybridBranch> branches_;
};

/// How Collection::multi_query_search fuses the result lists of its
/// queries (QV_MULTI_*). Over the lists that hold a point:
enum class MultiFusion : uint32_t {
    /// The mean of its scores (over those lists only), in the metric's
    /// orientation: distances stay distances, smallest first.
    Average = QV_MULTI_AVERAGE,
    /// Its best score (the smallest distance), in the metric's orientation.
    Max = QV_MULTI_MAX,
    /// Reciprocal rank fusion: the sum of 1 / (rrf_k + rank) (default);
    /// higher is better.
    Rrf = QV_MULTI_RRF,
    /// The sum of weights[q] x its score in list q (distances negated);
    /// higher is better.
    Weighted = QV_MULTI_WEIGHTED,
};

/// Parameters of Collection::multi_query_search (qv_multi_query_params).
/// Defaults come from the library (qv_multi_query_params_init:
/// MultiFusion::Rrf with rrf_k 60, candidates = the search's k, no
/// weights). Setters chain:
/// `MultiQueryParams().fusion(MultiFusion::Weighted).weights({1, 0.5f}).candidates(50)`.
class MultiQueryParams {
public:
    MultiQueryParams() noexcept { qv_multi_query_params_init(&raw_); }
    /// The defaults with fusion `f`.
    explicit MultiQueryParams(MultiFusion f) noexcept : MultiQueryParams() { fusion(f); }

    /// How the lists are fused (default MultiFusion::Rrf).
    MultiQueryParams &fusion(MultiFusion f) noexcept {
        raw_.fusion = static_cast<uint32_t>(f);
        return *this;
    }
    /// RRF's constant, > 0 (default 60; MultiFusion::Rrf only).
    MultiQueryParams &rrf_k(float k) noexcept {
        raw_.rrf_k = k;
        return *this;
    }
    /// Hits each query contributes, at least the search's k, at most
    /// 100000; 0 (the default) = the search's k.
    MultiQueryParams &candidates(uint32_t n) noexcept {
        raw_.candidates = n;
        return *this;
    }
    /// MultiFusion::Weighted: one weight per query, finite and >= 0
    /// (ignored by the other fusions). Copied.
    MultiQueryParams &weights(std::vector<float> w) {
        weights_ = std::move(w);
        return *this;
    }

    /// A library newer than this header may take a value not listed in
    /// MultiFusion; it keeps its numeric value.
    MultiFusion fusion() const noexcept { return static_cast<MultiFusion>(raw_.fusion); }
    float rrf_k() const noexcept { return raw_.rrf_k; }
    uint32_t candidates() const noexcept { return raw_.candidates; }
    const std::vector<float> &weights() const noexcept { return weights_; }

    /// The C struct, pointing into this object's weights (valid while this
    /// object lives and is not changed).
    qv_multi_query_params to_c() const noexcept {
        qv_multi_query_params p = raw_;
        p.weights = weights_.empty() ? nullptr : weights_.data();
        p.nweights = weights_.size();
        return p;
    }

private:
    qv_multi_query_params raw_;
    std::vector<float> weights_;
};

/// Parameters of Collection::train_quantizer (qv_train_params). Defaults
/// come from the library (qv_train_params_init: PQ subspaces 0 = automatic,
/// 256 centroids, 12 k-means iterations), not from the collection: to keep
/// its current parameters, call train_quantizer without a TrainParams.
/// Setters chain: `TrainParams().pq_subspaces(96).pq_centroids(128)`.
/// The library checks the values (Status::InvalidArgument naming
/// params.pq_subspaces, params.pq_centroids or params.pq_iterations).
class TrainParams {
public:
    TrainParams() noexcept { qv_train_params_init(&raw_); }

    /// PQ subspaces (code bytes per point), dividing the dimension; 0 = the
    /// largest divisor of the dimension not above dimension / 8.
    TrainParams &pq_subspaces(uint32_t m) noexcept {
        raw_.pq_subspaces = m;
        return *this;
    }
    /// PQ centroids per subspace, 2 to 256.
    TrainParams &pq_centroids(uint32_t k) noexcept {
        raw_.pq_centroids = k;
        return *this;
    }
    /// k-means iterations, 1 to 100.
    TrainParams &pq_iterations(uint32_t n) noexcept {
        raw_.pq_iterations = n;
        return *this;
    }

    uint32_t pq_subspaces() const noexcept { return raw_.pq_subspaces; }
    uint32_t pq_centroids() const noexcept { return raw_.pq_centroids; }
    uint32_t pq_iterations() const noexcept { return raw_.pq_iterations; }

    const qv_train_params &raw() const noexcept { return raw_; }
    qv_train_params &raw() noexcept { return raw_; }

private:
    qv_train_params raw_;
};

/// The progress callback of a long operation (Collection::train_quantizer):
/// called with (steps done, total steps); return true to go on, false to
/// cancel.
using ProgressFn = std::function<bool(uint64_t done, uint64_t total)>;

namespace detail {

// What a progress callback passes through the C call's user_data: the
// user's function, and the exception it threw. The library calls the
// trampoline on the thread of the C call, one call at a time, so the
// fields need no synchronisation of their own.
struct ProgressCall {
    const ProgressFn *fn = nullptr;
    std::exception_ptr error;
    bool stopped = false;

    // The qv_progress_fn. Never lets an exception into the C library: one
    // thrown by the user's function is kept and answered as a cancel. The
    // library does not call it again after a 0; should it, it answers 0
    // without calling the user's function again.
    static int32_t trampoline(void *user_data, uint64_t done, uint64_t total) noexcept {
        ProgressCall &call = *static_cast<ProgressCall *>(user_data);
        if (call.stopped) return 0;
        try {
            if ((*call.fn)(done, total)) return 1;
        } catch (...) {
            call.error = std::current_exception();
        }
        call.stopped = true;
        return 0;
    }
};

} // namespace detail

/// Parameters of Collection::scroll_points and scroll_pages
/// (qv_scroll_params). Defaults come from the library
/// (qv_scroll_params_init: 100 points a page, payloads without vectors, no
/// filter, by ascending id, the first page). Setters chain:
/// `ScrollParams(50).filter(Filter::eq("lang", "fr")).order_by("year").descending()`.
class ScrollParams {
public:
    ScrollParams() noexcept { qv_scroll_params_init(&raw_); }
    /// The defaults with `limit` points a page.
    explicit ScrollParams(uint32_t limit) noexcept : ScrollParams() { raw_.limit = limit; }

    /// Points per page (>= 1).
    ScrollParams &limit(uint32_t n) noexcept {
        raw_.limit = n;
        return *this;
    }
    /// Return the vectors (default: not; PointRef::vector is then empty).
    ScrollParams &with_vectors(bool on = true) noexcept {
        raw_.with_vectors = on ? 1u : 0u;
        return *this;
    }
    /// Return the payloads (default: yes).
    ScrollParams &with_payload(bool on = true) noexcept {
        raw_.with_payload = on ? 1u : 0u;
        return *this;
    }
    /// Only the points matching this JSON filter; empty = all. Copied.
    ScrollParams &filter(std::string_view json) {
        filter_.assign(json.data(), json.size());
        return *this;
    }
    /// The same with a built filter.
    ScrollParams &filter(const Filter &f) { return filter(f.json()); }
    /// Order by the values of `field`, which must have an integer, float or
    /// datetime index (a point by its smallest value, its largest when
    /// descending; ties by ascending id; points without a value of the
    /// index's kind are left out); empty = by ascending id. Copied.
    ScrollParams &order_by(std::string_view field) {
        order_by_.assign(field.data(), field.size());
        return *this;
    }
    /// Largest values first (with order_by; by id the order is ascending).
    ScrollParams &descending(bool on = true) noexcept {
        raw_.descending = on ? 1u : 0u;
        return *this;
    }
    /// Go on where the previous page ended: its PointsPage::next (with
    /// the same other parameters); empty = the first page. Copied.
    ScrollParams &cursor(std::string_view c) {
        cursor_.assign(c.data(), c.size());
        return *this;
    }

    uint32_t limit() const noexcept { return raw_.limit; }
    bool with_vectors() const noexcept { return raw_.with_vectors != 0; }
    bool with_payload() const noexcept { return raw_.with_payload != 0; }
    bool descending() const noexcept { return raw_.descending != 0; }
    const std::string &filter() const noexcept { return filter_; }
    const std::string &order_by() const noexcept { return order_by_; }
    const std::string &cursor() const noexcept { return cursor_; }

    /// The C struct, pointing into this object's strings (valid while this
    /// object lives and is not changed).
    qv_scroll_params to_c() const noexcept {
        qv_scroll_params p = raw_;
        p.filter_json = filter_.empty() ? nullptr : detail::bytes(filter_);
        p.filter_len = filter_.size();
        p.order_by = order_by_.empty() ? nullptr : detail::bytes(order_by_);
        p.order_by_len = order_by_.size();
        p.cursor = cursor_.empty() ? nullptr : detail::bytes(cursor_);
        p.cursor_len = cursor_.size();
        return p;
    }

private:
    qv_scroll_params raw_;
    std::string filter_;
    std::string order_by_;
    std::string cursor_;
};

// ---- payload operations ---------------------------------------------------------

/// The points a payload operation applies to: some ids (those that exist)
/// or those matching a filter. Owns a copy of the ids / the filter text.
/// Build it with quiver::ids({1, 2}) or quiver::where(filter).
class Selection {
public:
    /// The points with these ids (missing ids are skipped).
    static Selection ids(span<const uint64_t> ids) {
        Selection s;
        s.ids_.assign(ids.begin(), ids.end());
        return s;
    }
    /// The points matching a JSON filter (it must not be empty).
    static Selection where(std::string_view filter_json) {
        Selection s;
        s.by_filter_ = true;
        s.filter_.assign(filter_json.data(), filter_json.size());
        return s;
    }
    /// The points matching a built filter.
    static Selection where(const Filter &f) { return where(f.json()); }

    /// True for a selection by filter.
    bool by_filter() const noexcept { return by_filter_; }
    /// The ids of a selection by ids (empty otherwise).
    const std::vector<uint64_t> &id_list() const noexcept { return ids_; }
    /// The filter of a selection by filter (empty otherwise).
    const std::string &filter() const noexcept { return filter_; }

private:
    Selection() = default;

    bool by_filter_ = false;
    std::vector<uint64_t> ids_;
    std::string filter_;
};

/// The points with these ids: `coll.set_payload(quiver::ids({1, 2}), ...)`.
inline Selection ids(span<const uint64_t> ids) { return Selection::ids(ids); }
/// The points matching a JSON filter: `quiver::where(R"({"field": "lang", "eq": "fr"})")`.
inline Selection where(std::string_view filter_json) { return Selection::where(filter_json); }
/// The points matching a built filter: `quiver::where(Filter::eq("lang", "fr"))`.
inline Selection where(const Filter &f) { return Selection::where(f); }

/// A payload operation (QV_PAYLOAD_*), for Collection::update_payload.
enum class PayloadOp : uint32_t {
    Set = QV_PAYLOAD_SET,               ///< set the keys of a JSON object, keep the others
    Overwrite = QV_PAYLOAD_OVERWRITE,   ///< replace the payload with a JSON object (kept byte for byte)
    DeleteKeys = QV_PAYLOAD_DELETE_KEYS, ///< remove the fields at a JSON array of paths
    Clear = QV_PAYLOAD_CLEAR,           ///< remove the payload (no argument)
};

// ---- results --------------------------------------------------------------------

/// One search hit: borrowed from its Results.
struct Hit {
    uint64_t id;
    float score;
    /// The payload JSON text, byte for byte as it was written; empty when the
    /// point has none or payloads were not asked for.
    std::string_view payload;
};

namespace detail {

// Reads hit `first + j` of a qv_results_view.
struct HitSource {
    const uint64_t *ids = nullptr;
    const float *scores = nullptr;
    const uint64_t *payload_offsets = nullptr;
    const uint8_t *payload_data = nullptr;
    size_t first = 0;

    Hit operator()(size_t j) const noexcept {
        return Hit{ids[first + j], scores[first + j], text(payload_data, payload_offsets, first + j)};
    }
};

} // namespace detail

/// The hits of one query, best first: a view into a Results (valid while
/// the Results lives).
class QueryHits {
public:
    using iterator = detail::IndexIterator<detail::HitSource, Hit>;

    QueryHits() noexcept = default;

    size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    /// Hit `j` (j < size()).
    Hit operator[](size_t j) const noexcept { return src_(j); }
    /// Hit `j`; throws std::out_of_range when j >= size().
    Hit at(size_t j) const {
        if (j >= size_) throw std::out_of_range("quiver::QueryHits::at: index out of range");
        return src_(j);
    }
    iterator begin() const noexcept { return iterator(src_, 0); }
    iterator end() const noexcept { return iterator(src_, size_); }
    /// The ids, best first.
    span<const uint64_t> ids() const noexcept { return {size_ == 0 ? nullptr : src_.ids + src_.first, size_}; }
    /// The scores, best first.
    span<const float> scores() const noexcept { return {size_ == 0 ? nullptr : src_.scores + src_.first, size_}; }
    /// The payload JSON of hit `j` (empty: none).
    std::string_view payload(size_t j) const noexcept {
        return detail::text(src_.payload_data, src_.payload_offsets, src_.first + j);
    }

private:
    friend class Results;
    QueryHits(const qv_results_view &v, size_t q) noexcept
        : src_{v.ids, v.scores, v.payload_offsets, v.payload_data, static_cast<size_t>(v.offsets[q])},
          size_(static_cast<size_t>(v.offsets[q + 1] - v.offsets[q])) {}

    detail::HitSource src_;
    size_t size_ = 0;
};

/// Search results owned by the program (a qv_results): one QueryHits per
/// query, read in place. Move-only; freed by the destructor.
class Results {
public:
    Results() noexcept = default;
    /// Takes ownership of a C `qv_results` (may be NULL: empty results).
    explicit Results(qv_results *raw) : raw_(raw) {
        if (raw_ == nullptr) return;
        qv_error *err = nullptr;
        const int32_t s = qv_results_get_view(raw_, &view_, &err);
        if (s != QV_OK) {
            qv_results_free(raw_);
            raw_ = nullptr;
            view_ = qv_results_view{};
            detail::check(s, err);
        }
    }
    ~Results() { qv_results_free(raw_); }
    Results(Results &&o) noexcept : raw_(std::exchange(o.raw_, nullptr)), view_(std::exchange(o.view_, {})) {}
    Results &operator=(Results &&o) noexcept {
        if (this != &o) {
            qv_results_free(raw_);
            raw_ = std::exchange(o.raw_, nullptr);
            view_ = std::exchange(o.view_, {});
        }
        return *this;
    }
    Results(const Results &) = delete;
    Results &operator=(const Results &) = delete;

    /// Number of queries.
    size_t size() const noexcept { return static_cast<size_t>(view_.num_queries); }
    bool empty() const noexcept { return view_.num_queries == 0; }
    /// Total number of hits over all queries.
    size_t num_hits() const noexcept { return static_cast<size_t>(view_.num_hits); }

    /// The hits of query `q` (q < size()), borrowed from *this.
    QueryHits operator[](size_t q) const &noexcept { return QueryHits(view_, q); }
    QueryHits operator[](size_t q) && = delete;
    /// The hits of query `q`; throws std::out_of_range when q >= size().
    QueryHits at(size_t q) const & {
        if (q >= size()) throw std::out_of_range("quiver::Results::at: query index out of range");
        return QueryHits(view_, q);
    }
    QueryHits at(size_t q) && = delete;

    /// The raw C view (valid while *this lives).
    const qv_results_view &view() const &noexcept { return view_; }
    const qv_results_view &view() && = delete;
    /// The C handle, still owned by *this.
    qv_results *get() const noexcept { return raw_; }
    /// Gives up ownership of the C handle (free it with qv_results_free).
    qv_results *release() noexcept {
        view_ = {};
        return std::exchange(raw_, nullptr);
    }

private:
    qv_results *raw_ = nullptr;
    qv_results_view view_{};
};

// ---- stats ----------------------------------------------------------------------

/// The kind of a segment (QV_SEGMENT_*). A newer library may report kinds
/// not listed here; they keep their numeric value.
enum class SegmentKind : uint32_t {
    Appendable = QV_SEGMENT_APPENDABLE, ///< takes new writes (in RAM, durable through the log); searched exactly
    Sealed = QV_SEGMENT_SEALED,         ///< immutable files written by the optimizer, with a graph index
};

/// "appendable" or "sealed" (the names of Stats::json); "unknown" otherwise.
inline const char *segment_kind_name(SegmentKind k) noexcept {
    switch (k) {
    case SegmentKind::Appendable: return "appendable";
    case SegmentKind::Sealed: return "sealed";
    }
    return "unknown";
}

/// What the background optimizer is doing for a collection (QV_OPTIMIZER_*).
/// A newer library may report states not listed here.
enum class OptimizerState : uint32_t {
    Idle = QV_OPTIMIZER_IDLE,       ///< nothing to do
    Pending = QV_OPTIMIZER_PENDING, ///< work is waiting for an optimizer thread
    Running = QV_OPTIMIZER_RUNNING, ///< an optimizer thread is rewriting segments of the collection
};

/// "idle", "pending" or "running" (the names of Stats::json); "unknown" otherwise.
inline const char *optimizer_state_name(OptimizerState s) noexcept {
    switch (s) {
    case OptimizerState::Idle: return "idle";
    case OptimizerState::Pending: return "pending";
    case OptimizerState::Running: return "running";
    }
    return "unknown";
}

/// One segment of a collection (qv_segment_stats).
struct SegmentStats {
    /// Unique within the collection, never reused.
    uint64_t id = 0;
    SegmentKind kind = SegmentKind::Appendable;
    /// Live points in the segment.
    uint64_t points = 0;
    /// Points the segment still stores that were deleted or overwritten since
    /// it was written (space the optimizer reclaims).
    uint64_t deleted = 0;
    /// Bytes of the segment's files.
    uint64_t disk_bytes = 0;
    /// Bytes of heap it holds (mapped files not included).
    uint64_t ram_bytes = 0;
};

/// One component (ids, vectors, payloads, graph, log, ...), summed over the
/// segments (qv_component_stats).
struct ComponentStats {
    /// "log", "ids", "vectors", "payloads", "graph", "deleted", "manifest";
    /// later library versions add more.
    std::string name;
    /// Bytes of its files.
    uint64_t disk_bytes = 0;
    /// Bytes of heap it holds (mapped files not included).
    uint64_t ram_bytes = 0;
};

/// What Collection::stats reports: a copy of the library's qv_stats (which
/// is freed before stats() returns), owning all of its strings.
struct Stats {
    /// Points a search or count() can see.
    uint64_t live_points = 0;
    /// Points still stored but deleted or overwritten (not yet reclaimed).
    uint64_t deleted_points = 0;
    /// Bytes of every file of the collection.
    uint64_t disk_bytes = 0;
    /// Bytes of heap the collection holds (mapped files not included).
    uint64_t ram_bytes = 0;
    OptimizerState optimizer_state = OptimizerState::Idle;
    /// Optimization runs completed since the collection was opened.
    uint64_t optimizer_runs = 0;
    /// The error of the last optimization run when it failed.
    std::optional<std::string> optimizer_error;
    /// Why the collection refuses writes (Status::ReadOnly); empty when it is writable.
    std::optional<std::string> read_only_cause;
    /// Every segment, appendable ones first.
    std::vector<SegmentStats> segments;
    /// Bytes per component.
    std::vector<ComponentStats> components;
    /// One sentence per derived file (graph, ...) found missing or damaged on
    /// open and rebuilt from the primary data.
    std::vector<std::string> rebuilt_on_open;
    /// All of the above as one JSON document, with the library's field names:
    /// live_points, deleted_points, disk_bytes, ram_bytes, segments,
    /// components, optimizer {state, completed_runs, last_error},
    /// rebuilt_on_open, read_only_cause.
    std::string json;
};

namespace detail {

struct StatsFree {
    void operator()(qv_stats *s) const noexcept { qv_stats_free(s); }
};

inline std::optional<std::string> optional_string(const char *s) {
    return s != nullptr ? std::optional<std::string>(s) : std::nullopt;
}

// Copies everything out of a qv_stats_view.
inline Stats stats_from(const qv_stats_view &v) {
    Stats s;
    s.live_points = v.live_points;
    s.deleted_points = v.deleted_points;
    s.disk_bytes = v.disk_bytes;
    s.ram_bytes = v.ram_bytes;
    s.optimizer_state = static_cast<OptimizerState>(v.optimizer_state);
    s.optimizer_runs = v.optimizer_runs;
    s.optimizer_error = optional_string(v.optimizer_error);
    s.read_only_cause = optional_string(v.read_only_cause);
    s.segments.reserve(static_cast<size_t>(v.segment_count));
    for (size_t i = 0; i < v.segment_count; i++) {
        const qv_segment_stats &g = v.segments[i];
        s.segments.push_back(SegmentStats{g.id, static_cast<SegmentKind>(g.kind), g.points, g.deleted, g.disk_bytes,
                                          g.ram_bytes});
    }
    s.components.reserve(static_cast<size_t>(v.component_count));
    for (size_t i = 0; i < v.component_count; i++) {
        const qv_component_stats &c = v.components[i];
        s.components.push_back(ComponentStats{c.name != nullptr ? c.name : "", c.disk_bytes, c.ram_bytes});
    }
    s.rebuilt_on_open.reserve(static_cast<size_t>(v.rebuilt_count));
    for (size_t i = 0; i < v.rebuilt_count; i++) s.rebuilt_on_open.emplace_back(v.rebuilt_on_open[i]);
    if (v.json != nullptr) s.json = v.json;
    return s;
}

} // namespace detail

/// One point read by Collection::get: borrowed from its Points.
struct PointRef {
    uint64_t id;
    /// False when no point has this id (vector zeros, payload empty).
    bool found;
    /// `dimension` floats (empty for a metadata-only collection).
    span<const float> vector;
    /// The payload JSON text, byte for byte as it was written; empty when the
    /// point has none.
    std::string_view payload;
};

namespace detail {

// Reads entry `i` of a qv_points_view.
struct PointSource {
    qv_points_view v{};

    PointRef operator()(size_t i) const noexcept {
        const size_t dim = static_cast<size_t>(v.dimension);
        return PointRef{v.ids[i], v.found[i] != 0, span<const float>(dim == 0 ? nullptr : v.vectors + i * dim, dim),
                        text(v.payload_data, v.payload_offsets, i)};
    }
};

} // namespace detail

namespace detail {
struct ScrollAccess;
} // namespace detail

/// Points read by Collection::get, owned by the program (a qv_points): one
/// entry per id asked for, in the order asked, read in place; or one page of
/// Collection::scroll_points (every entry found). Move-only.
class Points {
public:
    using iterator = detail::IndexIterator<detail::PointSource, PointRef>;

    Points() noexcept = default;
    /// Takes ownership of a C `qv_points` (may be NULL: no points).
    explicit Points(qv_points *raw) : raw_(raw) {
        if (raw_ == nullptr) return;
        qv_error *err = nullptr;
        const int32_t s = qv_points_get_view(raw_, &view_, &err);
        if (s != QV_OK) {
            qv_points_free(raw_);
            raw_ = nullptr;
            view_ = qv_points_view{};
            detail::check(s, err);
        }
    }
    ~Points() { qv_points_free(raw_); }
    Points(Points &&o) noexcept : raw_(std::exchange(o.raw_, nullptr)), view_(std::exchange(o.view_, {})) {}
    Points &operator=(Points &&o) noexcept {
        if (this != &o) {
            qv_points_free(raw_);
            raw_ = std::exchange(o.raw_, nullptr);
            view_ = std::exchange(o.view_, {});
        }
        return *this;
    }
    Points(const Points &) = delete;
    Points &operator=(const Points &) = delete;

    /// Number of entries (= ids asked for).
    size_t size() const noexcept { return static_cast<size_t>(view_.count); }
    bool empty() const noexcept { return view_.count == 0; }
    /// Floats per vector.
    size_t dimension() const noexcept { return static_cast<size_t>(view_.dimension); }

    /// Entry `i` (i < size()), borrowed from *this.
    PointRef operator[](size_t i) const &noexcept { return detail::PointSource{view_}(i); }
    PointRef operator[](size_t i) && = delete;
    /// Entry `i`; throws std::out_of_range when i >= size().
    PointRef at(size_t i) const & {
        if (i >= size()) throw std::out_of_range("quiver::Points::at: index out of range");
        return (*this)[i];
    }
    PointRef at(size_t i) && = delete;
    iterator begin() const &noexcept { return iterator(detail::PointSource{view_}, 0); }
    iterator begin() && = delete;
    iterator end() const &noexcept { return iterator(detail::PointSource{view_}, size()); }
    iterator end() && = delete;

    /// All vectors, row-major (size() * dimension() floats).
    span<const float> vectors() const &noexcept { return {view_.vectors, size() * dimension()}; }
    span<const float> vectors() && = delete;

    /// The raw C view (valid while *this lives).
    const qv_points_view &view() const &noexcept { return view_; }
    const qv_points_view &view() && = delete;
    /// The C handle, still owned by *this.
    qv_points *get() const noexcept { return raw_; }
    /// Gives up ownership of the C handle (free it with qv_points_free).
    qv_points *release() noexcept {
        view_ = {};
        return std::exchange(raw_, nullptr);
    }

private:
    friend struct detail::ScrollAccess;
    // A scroll page without vectors holds zeros in their place: show none.
    void drop_vectors() noexcept {
        view_.dimension = 0;
        view_.vectors = nullptr;
    }

    qv_points *raw_ = nullptr;
    qv_points_view view_{};
};

/// One page of Collection::scroll.
struct ScrollPage {
    /// Ids in ascending order.
    std::vector<uint64_t> ids;
    /// The `from` of the next page; empty at the end.
    std::optional<uint64_t> next;
};

/// What Collection::scroll_into wrote.
struct ScrollResult {
    /// Ids written to the front of the output buffer.
    size_t count;
    /// The `from` of the next page; empty at the end.
    std::optional<uint64_t> next;
};

/// One page of Collection::scroll_points.
struct PointsPage {
    /// The page's points, in scroll order (all found). Their vectors are
    /// empty unless ScrollParams::with_vectors, their payloads unless
    /// ScrollParams::with_payload (the default).
    Points points;
    /// The cursor of the next page (pass it to ScrollParams::cursor); empty
    /// when this is the last page.
    std::optional<std::string> next;
};

namespace detail {

struct ScrollAccess {
    // One page: qv_collection_scroll_points, then its cursor copied out.
    static PointsPage page(qv_collection *coll, const ScrollParams &params) {
        const qv_scroll_params p = params.to_c();
        qv_points *raw = nullptr;
        call([&](qv_error **e) { return qv_collection_scroll_points(coll, &p, &raw, e); });
        PointsPage page{Points(raw), std::nullopt};
        const char *cursor = nullptr;
        size_t len = 0;
        call([&](qv_error **e) { return qv_points_next_cursor(page.points.get(), &cursor, &len, e); });
        if (cursor != nullptr) page.next.emplace(cursor, len);
        if (!params.with_vectors()) page.points.drop_vectors();
        return page;
    }
};

} // namespace detail

/// Every page of a scroll (Collection::scroll_pages), fetched one at a time
/// as the iteration goes on: an input range of `const PointsPage &`.
///
///     for (const quiver::PointsPage &page : coll.scroll_pages(quiver::ScrollParams(100).order_by("year")))
///         for (quiver::PointRef p : page.points) use(p.id, p.payload);
///
/// The first page is read by begin(), each next one by ++ (which throws
/// quiver::Error as scroll_points does); the page an iterator refers to is
/// valid until the next ++. Pages without points are skipped. It uses the
/// collection's handle: the Collection must outlive it (and not be closed
/// while it iterates). Move-only; moving it invalidates its iterators.
class PointsPages {
public:
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = PointsPage;
        using difference_type = std::ptrdiff_t;
        using pointer = const PointsPage *;
        using reference = const PointsPage &;

        iterator() noexcept = default;
        reference operator*() const noexcept { return pages_->page_; }
        pointer operator->() const noexcept { return &pages_->page_; }
        /// Reads the next page (the end when there is none).
        iterator &operator++() {
            pages_->advance();
            if (pages_->done_) pages_ = nullptr;
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator &a, const iterator &b) noexcept { return a.pages_ == b.pages_; }
        friend bool operator!=(const iterator &a, const iterator &b) noexcept { return a.pages_ != b.pages_; }

    private:
        friend class PointsPages;
        explicit iterator(PointsPages *pages) noexcept : pages_(pages) {}
        PointsPages *pages_ = nullptr;
    };

    PointsPages(PointsPages &&) noexcept = default;
    PointsPages &operator=(PointsPages &&) noexcept = default;
    PointsPages(const PointsPages &) = delete;
    PointsPages &operator=(const PointsPages &) = delete;

    /// Reads the first page (the one at the parameters' cursor) on the
    /// first call; later calls return the current position.
    iterator begin() {
        if (!started_) {
            started_ = true;
            fetch();
        }
        return done_ ? iterator() : iterator(this);
    }
    iterator end() noexcept { return iterator(); }

private:
    friend class Collection;
    PointsPages(qv_collection *coll, ScrollParams params) : coll_(coll), params_(std::move(params)) {}

    // Reads the page at params_'s cursor, going on past pages without points.
    // An error ends the iteration (and propagates).
    void fetch() {
        try {
            for (;;) {
                page_ = detail::ScrollAccess::page(coll_, params_);
                if (!page_.points.empty()) return;
                if (!page_.next) break;
                params_.cursor(*page_.next);
            }
        } catch (...) {
            done_ = true;
            page_ = PointsPage{};
            throw;
        }
        done_ = true;
        page_ = PointsPage{};
    }
    void advance() {
        if (done_) return;
        if (!page_.next) {
            done_ = true;
            page_ = PointsPage{};
            return;
        }
        params_.cursor(*page_.next);
        fetch();
    }

    qv_collection *coll_ = nullptr;
    ScrollParams params_;
    PointsPage page_;
    bool started_ = false;
    bool done_ = false;
};

// ---- graph ----------------------------------------------------------------------

/// One directed edge between two points of a collection, as
/// Collection::add_edges takes it and get_edges / find_edges return it: a
/// value that owns its label and properties. An aggregate:
/// `Edge{7, 1, 2, "cites"}` (weight 1, no properties),
/// `Edge{8, 2, 3, "cites", 0.5f, R"({"year": 2021})"}`.
struct Edge {
    /// The caller's id for the edge; adding an edge whose id exists
    /// replaces that edge.
    uint64_t id = 0;
    /// The point the edge leaves (a point of the collection).
    uint64_t source = 0;
    /// The point the edge reaches (a point of the collection; may be the
    /// source).
    uint64_t target = 0;
    /// 1 to 256 bytes of UTF-8 without control characters.
    std::string label{};
    /// The edge's cost for weighted shortest paths: finite and >= 0
    /// (default 1; 0 is 0).
    float weight = 1.0f;
    /// An optional JSON object's text (at most 1 MiB), kept byte for byte;
    /// empty = none.
    std::string properties{};

    friend bool operator==(const Edge &a, const Edge &b) noexcept {
        return a.id == b.id && a.source == b.source && a.target == b.target && a.label == b.label &&
               a.weight == b.weight && a.properties == b.properties;
    }
    friend bool operator!=(const Edge &a, const Edge &b) noexcept { return !(a == b); }
};

/// What Collection::degree returns: the edges reaching (`in`) and leaving
/// (`out`) a point.
struct Degree {
    uint64_t in = 0;
    uint64_t out = 0;
};

/// Which edges of a point a hop follows (QV_DIRECTION_*).
enum class Direction : uint32_t {
    Out = QV_DIRECTION_OUT,   ///< the edges leaving a point, to their targets (default)
    In = QV_DIRECTION_IN,     ///< the edges reaching a point, back to their sources
    Both = QV_DIRECTION_BOTH, ///< both (an edge from a point to itself once)
};

/// The order of a traversal (QV_BFS, QV_DFS).
enum class Order : uint32_t {
    /// Breadth first (default): level by level, each point at its least
    /// depth from a start.
    Bfs = QV_BFS,
    /// Depth first (preorder): each point at the depth at which the walk
    /// first reached it (it is not walked again from a shallower depth).
    Dfs = QV_DFS,
};

namespace detail {

// Labels as the C qv_label array (pointing into `labels`).
template <class Labels>
inline void c_labels(const Labels &labels, std::vector<qv_label> &out) {
    for (const auto &l : labels) out.push_back(qv_label{bytes(l), static_cast<uint64_t>(l.size())});
}

} // namespace detail

/// What a traversal (Collection::traverse, search_expand, traverse_ranked)
/// follows and returns (qv_traverse_params). Defaults come from the
/// library (qv_traverse_params_init: breadth first, depth 1 to 1, out,
/// limit 1,000, any label, no filter). Setters chain:
/// `TraverseOptions().max_depth(3).labels({"cites"}).direction(Direction::Both).filter(Filter::eq("lang", "en"))`.
/// The library checks the values (Status::InvalidArgument).
class TraverseOptions {
public:
    TraverseOptions() noexcept { qv_traverse_params_init(&raw_); }

    /// Bfs (default) or Dfs.
    TraverseOptions &order(Order o) noexcept {
        raw_.order = static_cast<uint32_t>(o);
        return *this;
    }
    /// Points reached in fewer hops are walked through but not returned; 0
    /// returns the start points too, at depth 0 (default 1; at most
    /// max_depth).
    TraverseOptions &min_depth(uint32_t d) noexcept {
        raw_.min_depth = d;
        return *this;
    }
    /// Hops from a start point, 1 to 1000 (default 1).
    TraverseOptions &max_depth(uint32_t d) noexcept {
        raw_.max_depth = d;
        return *this;
    }
    /// Direction::Out (default), In or Both.
    TraverseOptions &direction(Direction d) noexcept {
        raw_.direction = static_cast<uint32_t>(d);
        return *this;
    }
    /// Most points returned, 1 to 10,000,000; the walk stops there
    /// (default 1,000).
    TraverseOptions &limit(uint32_t n) noexcept {
        raw_.limit = n;
        return *this;
    }
    /// The labels every hop may follow; empty = any. Copied.
    TraverseOptions &labels(std::vector<std::string> ls) {
        labels_ = std::move(ls);
        return *this;
    }
    /// Labels per hop: hop i (from 1) follows hop_labels[i - 1] when it is
    /// not empty, else labels(). At most max_depth entries; empty = none.
    /// Copied.
    TraverseOptions &hop_labels(std::vector<std::vector<std::string>> hops) {
        hop_labels_ = std::move(hops);
        return *this;
    }
    /// A payload filter as JSON text; empty = none. A point reached by a
    /// hop that does not match it is neither returned nor walked through
    /// (start points are not tested). Copied.
    TraverseOptions &filter(std::string_view json) {
        filter_.assign(json.data(), json.size());
        return *this;
    }
    /// The same with a built filter.
    TraverseOptions &filter(const Filter &f) { return filter(f.json()); }

    /// A library newer than this header may take a value not listed in
    /// Order or Direction; it keeps its numeric value.
    Order order() const noexcept { return static_cast<Order>(raw_.order); }
    uint32_t min_depth() const noexcept { return raw_.min_depth; }
    uint32_t max_depth() const noexcept { return raw_.max_depth; }
    Direction direction() const noexcept { return static_cast<Direction>(raw_.direction); }
    uint32_t limit() const noexcept { return raw_.limit; }
    const std::vector<std::string> &labels() const noexcept { return labels_; }
    const std::vector<std::vector<std::string>> &hop_labels() const noexcept { return hop_labels_; }
    const std::string &filter() const noexcept { return filter_; }

    /// The C arrays to_c builds: the labels, the per-hop labels and their
    /// starts.
    struct CArrays {
        std::vector<qv_label> labels;
        std::vector<qv_label> hop_labels;
        std::vector<uint64_t> hop_indptr;
    };

    /// The C struct: fills `arrays` and returns the parameters pointing
    /// into it and into this object's strings (valid while both live and
    /// neither is changed).
    qv_traverse_params to_c(CArrays &arrays) const {
        arrays.labels.clear();
        arrays.hop_labels.clear();
        arrays.hop_indptr.clear();
        detail::c_labels(labels_, arrays.labels);
        qv_traverse_params p = raw_;
        p.labels = arrays.labels.empty() ? nullptr : arrays.labels.data();
        p.nlabels = arrays.labels.size();
        if (!hop_labels_.empty()) {
            arrays.hop_indptr.push_back(0);
            for (const std::vector<std::string> &hop : hop_labels_) {
                detail::c_labels(hop, arrays.hop_labels);
                arrays.hop_indptr.push_back(arrays.hop_labels.size());
            }
        }
        p.hop_labels = arrays.hop_labels.empty() ? nullptr : arrays.hop_labels.data();
        p.hop_indptr = arrays.hop_indptr.empty() ? nullptr : arrays.hop_indptr.data();
        p.nhops = hop_labels_.size();
        p.filter_json = filter_.empty() ? nullptr : detail::bytes(filter_);
        p.filter_len = filter_.size();
        return p;
    }

private:
    qv_traverse_params raw_;
    std::vector<std::string> labels_;
    std::vector<std::vector<std::string>> hop_labels_;
    std::string filter_;
};

/// One point a traversal returned: borrowed from its Traversal.
struct Visit {
    /// The point's id.
    uint64_t id;
    /// The start point (in search_expand, the search hit) it was reached
    /// from.
    uint64_t origin;
    /// Hops from `origin` (0 for a start point).
    uint32_t depth;
    /// search_expand: the score of the hit `origin`; traverse_ranked: the
    /// point's own score for the query (in the collection's metric);
    /// std::nullopt for traverse.
    std::optional<float> score;
    /// The `depth` edge ids walked from `origin` to the point, in order
    /// (empty at depth 0).
    span<const uint64_t> path;
};

namespace detail {

// Reads visit `i` of a traversal from the qv_visit array the Traversal read.
struct VisitSource {
    const qv_visit *visits = nullptr;

    Visit operator()(size_t i) const noexcept {
        const qv_visit &v = visits[i];
        return Visit{v.id, v.origin, v.depth, v.has_score != 0 ? std::optional<float>(v.score) : std::nullopt,
                     span<const uint64_t>(v.path_len == 0 ? nullptr : v.path, static_cast<size_t>(v.path_len))};
    }
};

} // namespace detail

/// The points a traversal returned, owned by the program (a qv_traversal):
/// a random-access range of Visit in the traversal's order (best first for
/// traverse_ranked). The construction reads the visits' headers (ids,
/// depths, scores) once; the paths are read in place. Move-only; freed by
/// the destructor. Visits and their paths borrow from *this: they are
/// valid until it is destroyed or assigned to (the members returning them
/// do not compile on a temporary). A moved-from Traversal is empty.
class Traversal {
public:
    using iterator = detail::IndexIterator<detail::VisitSource, Visit>;

    Traversal() noexcept = default;
    /// Takes ownership of a C `qv_traversal` (may be NULL: no visits).
    explicit Traversal(qv_traversal *raw) : raw_(raw) {
        if (raw_ == nullptr) return;
        try {
            visits_.resize(qv_traversal_count(raw_));
            for (size_t i = 0; i < visits_.size(); i++)
                detail::call([&](qv_error **e) { return qv_traversal_get(raw_, i, &visits_[i], e); });
        } catch (...) {
            qv_traversal_free(raw_);
            raw_ = nullptr;
            throw;
        }
    }
    ~Traversal() { qv_traversal_free(raw_); }
    Traversal(Traversal &&o) noexcept : raw_(std::exchange(o.raw_, nullptr)), visits_(std::move(o.visits_)) {
        o.visits_.clear();
    }
    Traversal &operator=(Traversal &&o) noexcept {
        if (this != &o) {
            qv_traversal_free(raw_);
            raw_ = std::exchange(o.raw_, nullptr);
            visits_ = std::move(o.visits_);
            o.visits_.clear();
        }
        return *this;
    }
    Traversal(const Traversal &) = delete;
    Traversal &operator=(const Traversal &) = delete;

    /// Number of visits.
    size_t size() const noexcept { return visits_.size(); }
    bool empty() const noexcept { return visits_.empty(); }

    /// Visit `i` (i < size()), borrowed from *this.
    Visit operator[](size_t i) const &noexcept { return detail::VisitSource{visits_.data()}(i); }
    Visit operator[](size_t i) && = delete;
    /// Visit `i`; throws std::out_of_range when i >= size().
    Visit at(size_t i) const & {
        if (i >= size()) throw std::out_of_range("quiver::Traversal::at: index out of range");
        return (*this)[i];
    }
    Visit at(size_t i) && = delete;
    iterator begin() const &noexcept { return iterator(detail::VisitSource{visits_.data()}, 0); }
    iterator begin() && = delete;
    iterator end() const &noexcept { return iterator(detail::VisitSource{visits_.data()}, size()); }
    iterator end() && = delete;

    /// The C handle, still owned by *this.
    qv_traversal *get() const noexcept { return raw_; }
    /// Gives up ownership of the C handle (free it with qv_traversal_free);
    /// *this becomes empty.
    qv_traversal *release() noexcept {
        visits_.clear();
        return std::exchange(raw_, nullptr);
    }

private:
    qv_traversal *raw_ = nullptr;
    std::vector<qv_visit> visits_;
};

/// What Collection::shortest_path may follow (qv_path_params). Defaults
/// come from the library (qv_path_params_init: out, fewest hops, no hop
/// bound, any label). Setters chain:
/// `PathOptions().weighted().direction(Direction::Both).labels({"road"})`.
class PathOptions {
public:
    PathOptions() noexcept { qv_path_params_init(&raw_); }

    /// Direction::Out (default), In or Both.
    PathOptions &direction(Direction d) noexcept {
        raw_.direction = static_cast<uint32_t>(d);
        return *this;
    }
    /// The path of least total edge weight (Dijkstra) instead of the fewest
    /// hops; max_depth must then be 0.
    PathOptions &weighted(bool on = true) noexcept {
        raw_.weighted = on ? 1u : 0u;
        return *this;
    }
    /// Most hops of an unweighted path; 0 (default) = no bound.
    PathOptions &max_depth(uint32_t d) noexcept {
        raw_.max_depth = d;
        return *this;
    }
    /// The labels the path may follow; empty = any. Copied.
    PathOptions &labels(std::vector<std::string> ls) {
        labels_ = std::move(ls);
        return *this;
    }

    Direction direction() const noexcept { return static_cast<Direction>(raw_.direction); }
    bool weighted() const noexcept { return raw_.weighted != 0; }
    uint32_t max_depth() const noexcept { return raw_.max_depth; }
    const std::vector<std::string> &labels() const noexcept { return labels_; }

    /// The C struct: fills `labels` and returns the parameters pointing into
    /// it (valid while it and this object live and neither is changed).
    qv_path_params to_c(std::vector<qv_label> &labels) const {
        labels.clear();
        detail::c_labels(labels_, labels);
        qv_path_params p = raw_;
        p.labels = labels.empty() ? nullptr : labels.data();
        p.nlabels = labels.size();
        return p;
    }

private:
    qv_path_params raw_;
    std::vector<std::string> labels_;
};

/// A path found by Collection::shortest_path, copied out of the library.
struct Path {
    /// The points from `from` to `to` (one when they are the same point).
    std::vector<uint64_t> points;
    /// The points.size() - 1 edge ids between them.
    std::vector<uint64_t> edges;
    /// The number of hops, or (weighted) the sum of the edges' weights,
    /// added in double from the first edge.
    double cost = 0;
};

// ---- collection -----------------------------------------------------------------

/// A handle to a collection (a qv_collection). Move-only; the destructor
/// releases the handle. Keeps its database open.
class Collection {
public:
    Collection() noexcept = default;
    /// Takes ownership of a C handle.
    explicit Collection(qv_collection *raw) noexcept : raw_(raw) {}
    ~Collection() { qv_collection_free(raw_); }
    Collection(Collection &&o) noexcept : raw_(std::exchange(o.raw_, nullptr)) {}
    Collection &operator=(Collection &&o) noexcept {
        if (this != &o) {
            qv_collection_free(raw_);
            raw_ = std::exchange(o.raw_, nullptr);
        }
        return *this;
    }
    Collection(const Collection &) = delete;
    Collection &operator=(const Collection &) = delete;

    /// False for a default-constructed, moved-from or released object.
    bool valid() const noexcept { return raw_ != nullptr; }
    explicit operator bool() const noexcept { return valid(); }
    /// The C handle, still owned by *this.
    qv_collection *get() const noexcept { return raw_; }
    /// Gives up ownership of the C handle (free it with qv_collection_free).
    qv_collection *release() noexcept { return std::exchange(raw_, nullptr); }

    /// The collection's configuration.
    CollectionConfig config() const {
        qv_collection_config c;
        qv_collection_config_init(&c);
        detail::call([&](qv_error **e) { return qv_collection_get_config(handle(), &c, e); });
        return CollectionConfig::from_raw(c);
    }

    // -- writes --

    /// Inserts or replaces `ids.size()` points without payloads. `vectors`
    /// holds ids.size() * dimension floats, row-major (empty for a
    /// metadata-only collection). The whole batch is checked first: on any
    /// error nothing changes. Durable when it returns (per the sync option).
    void upsert(span<const uint64_t> ids, span<const float> vectors) {
        detail::call([&](qv_error **e) {
            return qv_collection_upsert(handle(), ids.data(), ids.size(), vectors.data(), vectors.size(), nullptr,
                                        nullptr, 0, e);
        });
    }

    /// As above, with payloads in the C layout: the payload of point i is the
    /// JSON text payload_data[payload_offsets[i], payload_offsets[i + 1])
    /// (ids.size() + 1 offsets; an empty range = no payload), kept byte for
    /// byte: get() and search() return the same text.
    void upsert(span<const uint64_t> ids, span<const float> vectors, span<const uint64_t> payload_offsets,
                std::string_view payload_data) {
        if (payload_offsets.size() != ids.size() + 1)
            detail::throw_invalid("payload_offsets holds " + std::to_string(payload_offsets.size()) +
                                  " offsets, expected ids.size() + 1 = " + std::to_string(ids.size() + 1));
        detail::call([&](qv_error **e) {
            return qv_collection_upsert(handle(), ids.data(), ids.size(), vectors.data(), vectors.size(),
                                        payload_offsets.data(), detail::bytes(payload_data), payload_data.size(),
                                        e);
        });
    }

    /// As above, with one payload JSON text per point (an empty string = no
    /// payload), from any container of things convertible to
    /// std::string_view (std::vector<std::string>, std::vector<std::string_view>, ...).
    /// The texts are concatenated into one buffer for the call.
    template <class Payloads,
              class = std::enable_if_t<std::is_convertible_v<decltype(*std::begin(std::declval<const Payloads &>())),
                                                             std::string_view>>>
    void upsert(span<const uint64_t> ids, span<const float> vectors, const Payloads &payloads) {
        std::vector<uint64_t> offsets;
        std::string data;
        join_payloads(payloads, ids.size(), offsets, data);
        upsert(ids, vectors, offsets, data);
    }

    /// Inserts or replaces `ids.size()` points, as upsert(ids, vectors)
    /// does, with named sparse vectors: each SparseColumn of `sparse` (each
    /// a different name) holds one SparseVector per id, in the order of the
    /// ids (an empty one: that point gets no vector of that name). A point
    /// keeps only the sparse vectors given here: an upsert replaces the
    /// whole point, and one without sparse columns leaves it none. Each
    /// point has at most 64 sparse vectors of at most 1,048,576 entries;
    /// every value must be finite, an index appear once per vector. The
    /// whole batch is checked first: on any error nothing changes. The
    /// vectors are copied into the C layout (compressed sparse rows) for
    /// the call. Throws Status::InvalidArgument (as upsert, a bad or
    /// repeated name, an index twice, a value not finite: the message
    /// names the column as `sparse[i] ("name")` and the point by id and
    /// batch index; a column without one vector per id or a vector without
    /// one value per index, which this header checks), DimensionMismatch,
    /// ReadOnly, OutOfMemory, Io, Closed.
    void upsert(span<const uint64_t> ids, span<const float> vectors, span<const SparseColumn> sparse) {
        upsert_sparse(ids, vectors, nullptr, {}, sparse);
    }

    /// As above, with payloads in the C layout (see upsert(ids, vectors,
    /// payload_offsets, payload_data)).
    void upsert(span<const uint64_t> ids, span<const float> vectors, span<const uint64_t> payload_offsets,
                std::string_view payload_data, span<const SparseColumn> sparse) {
        if (payload_offsets.size() != ids.size() + 1)
            detail::throw_invalid("payload_offsets holds " + std::to_string(payload_offsets.size()) +
                                  " offsets, expected ids.size() + 1 = " + std::to_string(ids.size() + 1));
        upsert_sparse(ids, vectors, payload_offsets.data(), payload_data, sparse);
    }

    /// As above, with one payload JSON text per point (an empty string = no
    /// payload), from any container of things convertible to
    /// std::string_view.
    template <class Payloads,
              class = std::enable_if_t<std::is_convertible_v<decltype(*std::begin(std::declval<const Payloads &>())),
                                                             std::string_view>>>
    void upsert(span<const uint64_t> ids, span<const float> vectors, const Payloads &payloads,
                span<const SparseColumn> sparse) {
        std::vector<uint64_t> offsets;
        std::string data;
        join_payloads(payloads, ids.size(), offsets, data);
        upsert_sparse(ids, vectors, offsets.data(), data, sparse);
    }

    /// Inserts or replaces one point (payload: JSON text, empty = none).
    void upsert_one(uint64_t id, span<const float> vector, std::string_view payload = {}) {
        const uint64_t offsets[2] = {0, payload.size()};
        detail::call([&](qv_error **e) {
            return qv_collection_upsert(handle(), &id, 1, vector.data(), vector.size(), offsets,
                                        detail::bytes(payload), payload.size(), e);
        });
    }

    /// Deletes the points with these ids (missing ids are ignored) and
    /// returns how many existed.
    uint64_t remove(span<const uint64_t> ids) {
        uint64_t deleted = 0;
        detail::call([&](qv_error **e) { return qv_collection_delete(handle(), ids.data(), ids.size(), &deleted, e); });
        return deleted;
    }

    /// Deletes every point matching the JSON filter (required: to delete
    /// everything, drop the collection) and returns how many there were.
    /// One atomic, durable write. Throws Status::InvalidArgument (empty or
    /// bad filter; nothing changed), ReadOnly, Io, Closed.
    uint64_t delete_where(std::string_view filter_json) {
        uint64_t deleted = 0;
        detail::call([&](qv_error **e) {
            return qv_collection_delete_where(handle(), detail::bytes(filter_json), filter_json.size(), &deleted, e);
        });
        return deleted;
    }
    /// The same with a built filter.
    uint64_t delete_where(const Filter &f) { return delete_where(f.json()); }

    // -- payload operations --
    //
    // Each changes the payloads of the selected points (quiver::ids({...}):
    // those that exist; quiver::where(filter): those matching) without
    // touching their vectors, and returns how many points it applied to.
    // Each is one atomic, durable write that runs alone among the
    // collection's writes; on any error nothing changes. They throw
    // Status::InvalidArgument (bad filter or argument, also an empty
    // where() filter), ReadOnly, OutOfMemory, Io, Closed.

    /// Sets the keys of the JSON object `object_json` in each payload (the
    /// other keys stay; the payload is rewritten with its keys sorted).
    uint64_t set_payload(const Selection &sel, std::string_view object_json) {
        return update_payload(sel, PayloadOp::Set, object_json);
    }
    /// Replaces each payload with the JSON object `object_json`, kept byte
    /// for byte.
    uint64_t overwrite_payload(const Selection &sel, std::string_view object_json) {
        return update_payload(sel, PayloadOp::Overwrite, object_json);
    }
    /// Removes the fields at these paths ("a.b", "tags[].name"; absent ones
    /// are ignored) from each payload.
    uint64_t delete_payload_keys(const Selection &sel, std::initializer_list<std::string_view> paths) {
        return update_payload(sel, PayloadOp::DeleteKeys, path_list(paths));
    }
    /// The same from any container of things convertible to std::string_view.
    template <class Paths,
              class = std::enable_if_t<std::is_convertible_v<decltype(*std::begin(std::declval<const Paths &>())),
                                                             std::string_view>>>
    uint64_t delete_payload_keys(const Selection &sel, const Paths &paths) {
        return update_payload(sel, PayloadOp::DeleteKeys, path_list(paths));
    }
    /// Removes the payloads.
    uint64_t clear_payload(const Selection &sel) { return update_payload(sel, PayloadOp::Clear, {}); }
    /// The C call itself: `arg_json` is what `op` takes (Set, Overwrite: a
    /// JSON object; DeleteKeys: a JSON array of path strings; Clear: empty).
    uint64_t update_payload(const Selection &sel, PayloadOp op, std::string_view arg_json) {
        qv_collection *coll = handle();
        if (sel.by_filter() && sel.filter().empty())
            detail::throw_invalid("quiver::where() with an empty filter (to select every point, use "
                                  "quiver::where(Filter::and_({})))");
        const std::vector<uint64_t> &ids = sel.id_list();
        const std::string &filter = sel.filter();
        uint64_t applied = 0;
        detail::call([&](qv_error **e) {
            return qv_collection_update_payload(coll, static_cast<uint32_t>(op), ids.data(), ids.size(),
                                                detail::bytes(filter), filter.size(), detail::bytes(arg_json),
                                                arg_json.size(), &applied, e);
        });
        return applied;
    }

    // -- sparse vectors --
    //
    // A point may carry named sparse vectors besides its dense vector and
    // payload: written by upsert(ids, vectors, ..., sparse) and
    // update_sparse, read by get_sparse, searched by sparse_search and by
    // HybridBranch::sparse. A name is 1 to 256 bytes of UTF-8 without
    // control characters.

    /// Sets the sparse vector called `name` of each point of `ids` to
    /// vectors[i] (one per id; an empty one removes the point's vector of
    /// that name), leaving its dense vector, payload and other sparse
    /// vectors as they are, and returns how many of the points existed
    /// (ids that do not exist are ignored; a repeated id takes its last
    /// vector and counts once). Everything is checked first: on any error nothing changes.
    /// One atomic, durable write; the points rewritten, with their vectors
    /// and payloads, must fit in one write of 1 GiB. Throws
    /// Status::InvalidArgument (a bad name, an index twice, a value not
    /// finite, a point over the limits; not one vector per id or a vector
    /// without one value per index, which this header checks), ReadOnly,
    /// Io, Closed.
    uint64_t update_sparse(span<const uint64_t> ids, std::string_view name, span<const SparseVector> vectors) {
        qv_collection *coll = handle();
        if (vectors.size() != ids.size())
            detail::throw_invalid(std::to_string(ids.size()) + " ids and " + std::to_string(vectors.size()) +
                                  " sparse vectors; give one per id (an empty one removes the point's vector)");
        const detail::SparseCsr csr(vectors, [&](size_t i) {
            return "the sparse vector " + FilterValue::quote(name) + " of point " + std::to_string(ids[i]) +
                   " (batch index " + std::to_string(i) + ")";
        });
        const qv_sparse_column column = csr.column(name);
        uint64_t updated = 0;
        detail::call([&](qv_error **e) {
            return qv_collection_update_sparse(coll, ids.data(), ids.size(), &column, &updated, e);
        });
        return updated;
    }
    /// The same with the name and the vectors of a SparseColumn.
    uint64_t update_sparse(span<const uint64_t> ids, const SparseColumn &column) {
        return update_sparse(ids, column.name, column.vectors);
    }

    /// The sparse vectors called `name` of the points `ids`, one entry per
    /// id in the order asked, copied out of the library: sorted by index,
    /// std::nullopt when the point does not exist or has no vector of that
    /// name. Throws Status::InvalidArgument (a bad name), OutOfMemory,
    /// Closed.
    std::vector<std::optional<SparseVector>> get_sparse(span<const uint64_t> ids, std::string_view name) const {
        struct SparseFree {
            void operator()(qv_sparse *s) const noexcept { qv_sparse_free(s); }
        };
        qv_sparse *raw = nullptr;
        detail::call([&](qv_error **e) {
            return qv_collection_get_sparse(handle(), ids.data(), ids.size(), detail::bytes(name), name.size(), &raw,
                                            e);
        });
        std::unique_ptr<qv_sparse, SparseFree> owned(raw);
        qv_sparse_view v{};
        detail::call([&](qv_error **e) { return qv_sparse_get_view(owned.get(), &v, e); });
        std::vector<std::optional<SparseVector>> out;
        out.reserve(static_cast<size_t>(v.count));
        for (size_t i = 0; i < v.count; i++) {
            const size_t a = static_cast<size_t>(v.indptr[i]), b = static_cast<size_t>(v.indptr[i + 1]);
            if (a == b) {
                out.emplace_back(std::nullopt);
                continue;
            }
            out.emplace_back(SparseVector{std::vector<uint32_t>(v.indices + a, v.indices + b),
                                          std::vector<float>(v.values + a, v.values + b)});
        }
        return out;
    }

    /// Makes everything written so far part of the on-disk checkpoint.
    void checkpoint() {
        detail::call([&](qv_error **e) { return qv_collection_checkpoint(handle(), e); });
    }

    // -- maintenance --

    /// Seals the appendable segment, merges segments and reclaims the space
    /// of deleted and overwritten points; returns when that is committed.
    /// The background optimizer does the same by itself: call this when it
    /// must be done now. Searches go on meanwhile. Throws Status::ReadOnly,
    /// OutOfMemory, Io (nothing changed), Closed.
    void optimize() {
        detail::call([&](qv_error **e) { return qv_collection_optimize(handle(), e); });
    }

    /// Blocks until the background optimizer has no work left for the
    /// collection (as long as writes keep it busy). The outcome of the
    /// background runs is in stats() (optimizer_state, optimizer_runs,
    /// optimizer_error). Throws Status::Closed.
    void wait_optimized() const {
        detail::call([&](qv_error **e) { return qv_collection_wait_optimized(handle(), e); });
    }

    /// Retrains the quantizer of every sealed segment with `params` (which
    /// become the collection's, also for the segments sealed later, and
    /// persist), re-encodes their codes and blocks until done. Segments are
    /// trained when they are sealed; call this to change PQ's parameters or
    /// to retrain on today's data. The appendable segment (the latest
    /// writes, searched exactly) is not affected: optimize() first to seal
    /// it. Searches and writes go on meanwhile (searches see the old codes
    /// or the new ones).
    ///
    /// `progress` (optional) is called with (steps done, total steps) as
    /// training steps finish: one per PQ subspace per segment, one per
    /// segment in the other modes. It runs on the thread that called
    /// train_quantizer (the library trains on its own threads meanwhile and
    /// hands each finished step to this one), one call at a time, `done`
    /// rising by one from 1 (up to `total`). Keep it short. It may search any
    /// collection, but must not optimize, train, close or drop this
    /// collection, nor close its database: those wait for the training,
    /// which waits for the callback, so they deadlock. Returning false
    /// cancels: train_quantizer throws
    /// Status::Cancelled and nothing has changed. When it throws, the
    /// training is cancelled the same way and train_quantizer rethrows that
    /// exception (not a quiver::Error) once the library has returned; the
    /// exception never crosses the C library. After it returned false or
    /// threw it is not called again.
    ///
    /// Throws Status::Unsupported (an F32 collection: nothing to train),
    /// InvalidArgument (a parameter out of range: the message names it, e.g.
    /// "params.pq_subspaces is 7; ..."), Cancelled, ReadOnly, Io, Closed.
    void train_quantizer(const TrainParams &params, const ProgressFn &progress = ProgressFn()) {
        train(&params.raw(), progress);
    }

    /// The same with the collection's current parameters (the C call's NULL
    /// params): retrains on today's data without changing them.
    void train_quantizer(const ProgressFn &progress = ProgressFn()) { train(nullptr, progress); }

    /// Reads every block of every file of the collection and checks it.
    /// Throws Status::Corrupt (the message names the file and the offset),
    /// Io, Closed.
    void verify() const {
        detail::call([&](qv_error **e) { return qv_collection_verify(handle(), e); });
    }

    // -- field indexes --

    /// Creates an index of `kind` on the payload field `field` (a dotted
    /// path; an array field indexes each element) and builds it over every
    /// point before returning; searches and writes go on meanwhile. Durable
    /// when it returns; filters on the field use it from then on. Throws
    /// Status::AlreadyExists, InvalidArgument (bad path or kind), ReadOnly,
    /// Io, Corrupt, Closed.
    void create_field_index(std::string_view field, FieldKind kind) {
        detail::call([&](qv_error **e) {
            return qv_collection_create_field_index(handle(), detail::bytes(field), field.size(),
                                                    static_cast<uint32_t>(kind), e);
        });
    }

    /// Drops the value index (any kind but FieldKind::Text: see
    /// drop_text_index) on `field` and removes its files. Throws
    /// Status::NotFound, InvalidArgument, ReadOnly, Io, Closed.
    void drop_field_index(std::string_view field) {
        detail::call([&](qv_error **e) {
            return qv_collection_drop_field_index(handle(), detail::bytes(field), field.size(), e);
        });
    }

    /// Creates a full-text index on the payload field `field` (a dotted
    /// path; its value is a string or an array whose strings are indexed)
    /// with the analyzer and BM25 parameters of `options`, and builds it
    /// over every point before returning, as create_field_index does.
    /// Durable when it returns; the options persist with the index. It
    /// serves text_search and the Filter::text, text_any and phrase
    /// conditions on the field; field_indexes() lists it as FieldKind::Text.
    /// Throws Status::AlreadyExists (the field has a text index),
    /// InvalidArgument (bad path, k1 or b out of range), ReadOnly, Io,
    /// Corrupt, Closed.
    void create_text_index(std::string_view field, const TextIndexOptions &options = TextIndexOptions()) {
        detail::call([&](qv_error **e) {
            return qv_collection_create_text_index(handle(), detail::bytes(field), field.size(), &options.raw(), e);
        });
    }

    /// Drops the text index on `field` and removes its files (a value index
    /// on the field stays). Throws Status::NotFound (no text index on that
    /// field), InvalidArgument, ReadOnly, Io, Closed.
    void drop_text_index(std::string_view field) {
        detail::call([&](qv_error **e) {
            return qv_collection_drop_text_index(handle(), detail::bytes(field), field.size(), e);
        });
    }

    /// The collection's field indexes in creation order. Throws
    /// Status::Closed.
    std::vector<FieldIndex> field_indexes() const {
        struct ListFree {
            void operator()(qv_field_indexes *l) const noexcept { qv_field_indexes_free(l); }
        };
        qv_field_indexes *raw = nullptr;
        detail::call([&](qv_error **e) { return qv_collection_list_field_indexes(handle(), &raw, e); });
        std::unique_ptr<qv_field_indexes, ListFree> list(raw);
        std::vector<FieldIndex> out;
        const size_t n = qv_field_indexes_count(list.get());
        out.reserve(n);
        for (size_t i = 0; i < n; i++) {
            qv_field_index_view v{};
            detail::call([&](qv_error **e) { return qv_field_indexes_get(list.get(), i, &v, e); });
            out.push_back(FieldIndex{v.field, static_cast<FieldKind>(v.kind), v.ram_bytes, v.disk_bytes});
        }
        return out;
    }

    /// The collection's statistics (points, segments, bytes per component,
    /// optimizer state, repairs made on open, read-only cause), copied out
    /// of the library. A read-only collection still reports them. Throws
    /// Status::Closed, OutOfMemory, Io.
    Stats stats() const {
        qv_stats *raw = nullptr;
        detail::call([&](qv_error **e) { return qv_collection_stats(handle(), &raw, e); });
        std::unique_ptr<qv_stats, detail::StatsFree> owned(raw);
        qv_stats_view view{};
        detail::call([&](qv_error **e) { return qv_stats_get_view(owned.get(), &view, e); });
        return detail::stats_from(view);
    }

    /// Closes this handle: waits for calls in flight; later calls throw
    /// Status::Closed. Other handles to the collection are not affected.
    /// Closing twice, or a moved-from object, is a no-op.
    void close() {
        if (raw_ == nullptr) return;
        detail::call([&](qv_error **e) { return qv_collection_close(raw_, e); });
    }

    // -- reads --

    /// Reads the points with these ids (vectors and payloads), in place.
    Points get(span<const uint64_t> ids) const {
        qv_points *out = nullptr;
        detail::call([&](qv_error **e) { return qv_collection_get(handle(), ids.data(), ids.size(), &out, e); });
        return Points(out);
    }

    /// Number of points.
    uint64_t count() const {
        uint64_t n = 0;
        detail::call([&](qv_error **e) { return qv_collection_count(handle(), &n, e); });
        return n;
    }

    /// Number of points matching the JSON filter (exactly; answered by the
    /// field indexes where they can); empty = all points.
    uint64_t count_where(std::string_view filter_json = {}) const {
        uint64_t n = 0;
        detail::call([&](qv_error **e) {
            return qv_collection_count_where(handle(), detail::bytes(filter_json), filter_json.size(), &n, e);
        });
        return n;
    }
    /// The same with a built filter.
    uint64_t count_where(const Filter &f) const { return count_where(f.json()); }

    /// One page of points (ids, payloads, vectors if asked for) matching
    /// params.filter(), by ascending id or ordered by params.order_by(),
    /// from params.cursor(). Pass page.next to ScrollParams::cursor for the
    /// next page (empty: this was the last). A point that exists and keeps
    /// its sort value during the whole scroll is returned exactly once,
    /// whatever is written meanwhile. Throws Status::InvalidArgument (limit
    /// 0, bad filter, an order_by field without an integer, float or
    /// datetime index, a cursor no such scroll returned), OutOfMemory, Closed.
    PointsPage scroll_points(const ScrollParams &params = ScrollParams()) const {
        return detail::ScrollAccess::page(handle(), params);
    }

    /// Every page of that scroll, read as the iteration goes on (see
    /// PointsPages; the first page is read by begin()).
    PointsPages scroll_pages(ScrollParams params = ScrollParams()) const {
        return PointsPages(handle(), std::move(params));
    }

    /// Writes the next ids (ascending, from `from` inclusive, matching the
    /// optional JSON filter) into `out` (at least 1 slot) without allocating.
    ScrollResult scroll_into(span<uint64_t> out, uint64_t from = 0, std::string_view filter = {}) const {
        size_t count = 0;
        uint64_t next = 0;
        uint8_t has_next = 0;
        detail::call([&](qv_error **e) {
            return qv_collection_scroll(handle(), from, detail::bytes(filter), filter.size(), out.data(), out.size(),
                                        &count, &next, &has_next, e);
        });
        return ScrollResult{count, has_next ? std::optional<uint64_t>(next) : std::nullopt};
    }

    /// One page of at most `limit` (>= 1) ids, ascending from `from`
    /// (inclusive), matching the optional JSON filter. Pass `page.next` as
    /// `from` for the next page.
    ScrollPage scroll(uint64_t from = 0, size_t limit = 256, std::string_view filter = {}) const {
        ScrollPage page;
        page.ids.resize(limit);
        const ScrollResult r = scroll_into(page.ids, from, filter);
        page.ids.resize(r.count);
        page.next = r.next;
        return page;
    }

    // -- search --

    /// Searches one query (`query.size()` must equal the dimension). The
    /// hits are in results[0], with payloads when params.with_payload().
    Results search(span<const float> query, const SearchParams &params = SearchParams()) const {
        return search_batch(query, 1, params);
    }

    /// Searches `num_queries` queries at once (row-major in `queries`,
    /// num_queries * dimension floats; they run in parallel). Query q's hits
    /// are results[q].
    Results search_batch(span<const float> queries, size_t num_queries,
                         const SearchParams &params = SearchParams()) const {
        const size_t dim = query_dim(queries, num_queries);
        const qv_search_params p = params.to_c();
        qv_results *out = nullptr;
        detail::call([&](qv_error **e) {
            return qv_collection_search_results(handle(), queries.data(), num_queries, dim, &p, &out, e);
        });
        return Results(out);
    }

    /// BM25 full-text search of `query` over params.fields() (each with a
    /// text index; the query is analyzed as each field's index analyzes its
    /// text): the best params.k() points matching params.mode() and
    /// params.filter(), as one query: results[0], best first (equal scores
    /// by ascending id), with payloads when params.with_payload(). Scores
    /// are BM25, higher is better: the sum over the fields of boost x the
    /// sum over the query's terms of
    /// idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg_len)), with
    /// idf = ln(1 + (n - df + 0.5) / (df + 0.5)) and the statistics (n, df,
    /// avg_len) over the live points of the whole collection with text in
    /// the field, also when there is a filter. A query without terms finds
    /// nothing. Throws Status::InvalidArgument (no field, a field without a
    /// text index or named twice, a boost that is negative or not finite, k
    /// 0 or above 100000, bad mode, bad filter), OutOfMemory, Io, Closed.
    Results text_search(std::string_view query, const TextSearchParams &params) const {
        std::vector<qv_text_field> fields;
        const qv_text_search_params p = params.to_c(fields);
        qv_results *out = nullptr;
        detail::call([&](qv_error **e) {
            return qv_collection_text_search(handle(), detail::bytes(query), query.size(), &p, &out, e);
        });
        return Results(out);
    }

    /// Exact sparse vector search: the best params.k() points by the dot
    /// product of their sparse vector called `name` with `query` (indices
    /// in any order, one finite value per index), among the points that
    /// share at least one index with the query and match params.filter(),
    /// as one query: results[0], best first (equal scores by ascending
    /// id), with payloads when params.with_payload(). Scores are dot
    /// products (higher is better), the products summed in 32-bit floats
    /// in ascending index order. A name no point carries, or an empty
    /// query, finds nothing. Throws Status::InvalidArgument (a bad name, k
    /// 0 or above 100000, an index twice, a value not finite, bad filter; a
    /// query without one value per index, which this header checks),
    /// OutOfMemory, Io, Closed.
    Results sparse_search(std::string_view name, const SparseVector &query,
                          const SparseSearchParams &params = SparseSearchParams()) const {
        return sparse_search(name, span<const uint32_t>(query.indices), span<const float>(query.values), params);
    }

    /// The same with the query as `indices.size()` indices and as many
    /// values.
    Results sparse_search(std::string_view name, span<const uint32_t> indices, span<const float> values,
                          const SparseSearchParams &params = SparseSearchParams()) const {
        qv_collection *coll = handle();
        if (indices.size() != values.size())
            detail::throw_invalid("the sparse query has " + std::to_string(indices.size()) + " indices and " +
                                  std::to_string(values.size()) + " values; give one value per index");
        const qv_sparse_search_params p = params.to_c(name);
        qv_results *out = nullptr;
        detail::call([&](qv_error **e) {
            return qv_collection_sparse_search(coll, indices.data(), values.data(), indices.size(), &p, &out, e);
        });
        return Results(out);
    }

    /// Hybrid search: runs every branch of params.branches() (dense vector
    /// searches, BM25 text searches and sparse vector searches, each with
    /// its own parameters,
    /// filter and candidate depth k) on one snapshot of the collection (a
    /// write lands before all of them or after all of them), fuses their
    /// rankings with params.fusion(), each branch weighted by its weight,
    /// and returns the best params.k() points as one query: results[0],
    /// best first (equal fused scores by ascending id), scores the fused
    /// scores (higher is better), with payloads when params.with_payload().
    /// Throws Status::InvalidArgument (no branch, k 0 or above 100000, a
    /// weight negative or not finite, rrf_k not > 0, bad fusion, or any
    /// error of search() / text_search() / sparse_search() for a branch,
    /// whose message names
    /// it: `branches[1]: ...`), DimensionMismatch (a dense branch's
    /// vector), Unsupported (a dense branch on a metadata-only collection),
    /// OutOfMemory, Io, Closed.
    Results hybrid_search(const HybridSearchParams &params) const {
        HybridSearchParams::CArrays arrays;
        const qv_hybrid_params p = params.to_c(arrays);
        qv_results *out = nullptr;
        detail::call([&](qv_error **e) { return qv_collection_hybrid_search(handle(), &p, &out, e); });
        return Results(out);
    }

    /// Multi-query search: searches each of the `num_queries` vectors
    /// (row-major in `queries`, num_queries * dim floats, `dim` the
    /// dimension) with `params` on one snapshot, each contributing
    /// multi.candidates() hits (0: params.k()), and fuses the lists with
    /// multi.fusion() into one ranking of params.k() points: results[0],
    /// best first, with payloads when params.with_payload(). Average and
    /// Max keep the metric's orientation (distances stay distances,
    /// smallest first); Rrf and Weighted scores are higher-is-better.
    /// Throws Status::InvalidArgument (num_queries 0, bad fusion, rrf_k not
    /// > 0, candidates below k, weights not one per query or negative, any
    /// error of search()), DimensionMismatch, Unsupported (metadata-only
    /// collection), OutOfMemory, Closed.
    Results multi_query_search(const float *queries, size_t num_queries, size_t dim, const SearchParams &params,
                               const MultiQueryParams &multi = MultiQueryParams()) const {
        const qv_search_params p = params.to_c();
        const qv_multi_query_params m = multi.to_c();
        qv_results *out = nullptr;
        detail::call([&](qv_error **e) {
            return qv_collection_multi_query_search(handle(), queries, num_queries, dim, &p, &m, &out, e);
        });
        return Results(out);
    }

    /// The same with one vector per query (copied into one row-major
    /// array; every row must have the length of the first, else
    /// Status::InvalidArgument).
    Results multi_query_search(const std::vector<std::vector<float>> &queries, const SearchParams &params,
                               const MultiQueryParams &multi = MultiQueryParams()) const {
        const size_t dim = queries.empty() ? 0 : queries[0].size();
        std::vector<float> flat;
        flat.reserve(queries.size() * dim);
        for (size_t q = 0; q < queries.size(); q++) {
            if (queries[q].size() != dim)
                detail::throw_invalid("queries[" + std::to_string(q) + "] holds " +
                                      std::to_string(queries[q].size()) + " floats, queries[0] " +
                                      std::to_string(dim));
            flat.insert(flat.end(), queries[q].begin(), queries[q].end());
        }
        return multi_query_search(flat.empty() ? nullptr : flat.data(), queries.size(), dim, params, multi);
    }

    /// Runs one search as search(query, params) does and describes how the
    /// planner searched each segment: the JSON text
    /// `{"hits": [{"id", "score"}, ...], "segments": [{"segment", "kind",
    /// "live", "sure", "to_check", "estimate", "plan", "cost", "fallback"}, ...]}`
    /// (see qv_collection_explain). Throws as search().
    std::string explain(span<const float> query, const SearchParams &params = SearchParams()) const {
        struct StringsFree {
            void operator()(qv_strings *s) const noexcept { qv_strings_free(s); }
        };
        const qv_search_params p = params.to_c();
        qv_strings *raw = nullptr;
        detail::call([&](qv_error **e) {
            return qv_collection_explain(handle(), query.data(), query.size(), &p, &raw, e);
        });
        std::unique_ptr<qv_strings, StringsFree> list(raw);
        const char *text = nullptr;
        size_t len = 0;
        detail::call([&](qv_error **e) { return qv_strings_get(list.get(), 0, &text, &len, e); });
        return std::string(text, len);
    }

    /// The caller-array mode, without allocation: searches `num_queries`
    /// queries and writes k = params.k() results per query: query q's hits
    /// are ids/scores[q * k, q * k + counts[q]), best first; the slots after
    /// them hold QV_NO_ID / NaN. `ids` and `scores` hold at least
    /// num_queries * k entries, `counts` at least num_queries. No payloads.
    void search_into(span<const float> queries, size_t num_queries, const SearchParams &params, span<uint64_t> ids,
                     span<float> scores, span<uint32_t> counts) const {
        const size_t dim = query_dim(queries, num_queries);
        if (counts.size() < num_queries)
            detail::throw_invalid("counts holds " + std::to_string(counts.size()) + " entries, " +
                                  std::to_string(num_queries) + " queries need as many");
        const qv_search_params p = params.to_c();
        const size_t out_len = ids.size() < scores.size() ? ids.size() : scores.size();
        detail::call([&](qv_error **e) {
            return qv_collection_search(handle(), queries.data(), num_queries, dim, &p, ids.data(), scores.data(),
                                        out_len, counts.data(), e);
        });
    }

    // -- graph --
    //
    // Directed edges between the points of the collection (each with an id,
    // a label, a weight and optional JSON properties), walked by traverse,
    // search_expand, traverse_ranked and shortest_path. Deleting a point
    // removes its edges, in and out; upserting it again keeps them.

    /// Adds `edges` (or replaces the edges with their ids; a repeated id in
    /// the batch: the last one wins). The whole batch is checked first
    /// (labels, weights, properties, that both ends are points of the
    /// collection, and the label schema if one is set): on any error
    /// nothing is written. Atomic and durable when it returns (as an
    /// upsert). Throws Status::InvalidArgument (a bad label, a weight
    /// negative or not finite, properties that are not a JSON object, an
    /// edge the schema refuses; the message names the edge as
    /// `edges[i] (id N)`), NotFound (an end is not a point of the
    /// collection), ReadOnly, Io, Closed.
    void add_edges(span<const Edge> edges) {
        qv_collection *coll = handle();
        std::vector<qv_edge> c(edges.size());
        for (size_t i = 0; i < edges.size(); i++) {
            const Edge &e = edges[i];
            qv_edge_init(&c[i]);
            c[i].id = e.id;
            c[i].source = e.source;
            c[i].target = e.target;
            c[i].label = e.label.empty() ? nullptr : detail::bytes(e.label);
            c[i].label_len = e.label.size();
            c[i].properties_json = e.properties.empty() ? nullptr : detail::bytes(e.properties);
            c[i].properties_len = e.properties.size();
            c[i].weight = e.weight;
        }
        detail::call([&](qv_error **e) { return qv_collection_add_edges(coll, c.data(), c.size(), e); });
    }
    /// Adds one edge.
    void add_edge(const Edge &edge) { add_edges(span<const Edge>(&edge, 1)); }

    /// Removes the edges with these ids (ids without an edge are ignored)
    /// and returns how many existed. Durable when it returns. Throws
    /// Status::ReadOnly, Io, Closed.
    uint64_t remove_edges(span<const uint64_t> ids) {
        uint64_t removed = 0;
        detail::call([&](qv_error **e) {
            return qv_collection_remove_edges(handle(), ids.data(), ids.size(), &removed, e);
        });
        return removed;
    }

    /// The edges with these ids, copied out of the library, in the order
    /// of `ids` (an id without an edge is left out: compare Edge::id).
    /// Throws Status::OutOfMemory, Closed.
    std::vector<Edge> get_edges(span<const uint64_t> ids) const {
        qv_edges *raw = nullptr;
        detail::call([&](qv_error **e) { return qv_collection_get_edges(handle(), ids.data(), ids.size(), &raw, e); });
        return edges_from(raw);
    }

    /// The edges leaving `source` (std::nullopt: any source), reaching
    /// `target` (std::nullopt: any target) and labelled `label` (empty:
    /// any label), by ascending edge id, copied out of the library. With
    /// neither a source nor a target it reads every edge (of the label).
    /// Throws Status::InvalidArgument (a label that is not UTF-8),
    /// OutOfMemory, Closed.
    std::vector<Edge> find_edges(std::optional<uint64_t> source = std::nullopt,
                                 std::optional<uint64_t> target = std::nullopt, std::string_view label = {}) const {
        qv_edges *raw = nullptr;
        detail::call([&](qv_error **e) {
            return qv_collection_find_edges(handle(), source ? &*source : nullptr, target ? &*target : nullptr,
                                            label.empty() ? nullptr : detail::bytes(label), label.size(), &raw, e);
        });
        return edges_from(raw);
    }

    /// The number of edges reaching (`in`) and leaving (`out`) `point`,
    /// only those labelled `label` unless it is empty. An edge from the
    /// point to itself counts in both; a point without edges (or not in
    /// the collection) has 0 and 0. Throws Status::InvalidArgument (a label
    /// that is not UTF-8), Closed.
    Degree degree(uint64_t point, std::string_view label = {}) const {
        Degree d;
        detail::call([&](qv_error **e) {
            return qv_collection_degree(handle(), point, label.empty() ? nullptr : detail::bytes(label), label.size(),
                                        &d.in, &d.out, e);
        });
        return d;
    }

    /// The number of edges of the collection. Throws Status::Closed.
    uint64_t count_edges() const {
        uint64_t n = 0;
        detail::call([&](qv_error **e) { return qv_collection_count_edges(handle(), &n, e); });
        return n;
    }

    /// Sets the label schema of the collection's edges from its JSON text,
    /// `{"labels": {"LABEL": {"source": FILTER, "target": FILTER}, ...}}`:
    /// only the labels listed are allowed, and an edge's source and target
    /// payloads must match the label's filters (each optional). Every
    /// existing edge must follow the new schema, or the call fails naming
    /// one that does not and changes nothing. Kept across reopens; durable
    /// when it returns. Throws Status::InvalidArgument (bad JSON, a bad
    /// label or filter, an existing edge the schema refuses; an empty
    /// text, which the C call would take as "remove": call
    /// remove_graph_schema), ReadOnly, Io, Closed.
    void set_graph_schema(std::string_view schema_json) {
        qv_collection *coll = handle();
        if (schema_json.empty())
            detail::throw_invalid("set_graph_schema with an empty schema (to remove it, call remove_graph_schema)");
        detail::call([&](qv_error **e) {
            return qv_collection_set_graph_schema(coll, detail::bytes(schema_json), schema_json.size(), e);
        });
    }

    /// Removes the label schema: any label is allowed again. Durable when
    /// it returns; a no-op without a schema. Throws Status::ReadOnly, Io,
    /// Closed.
    void remove_graph_schema() {
        detail::call([&](qv_error **e) { return qv_collection_set_graph_schema(handle(), nullptr, 0, e); });
    }

    /// The label schema as JSON text (as the library writes it, in the form
    /// set_graph_schema takes), or std::nullopt when there is none. Throws
    /// Status::Closed.
    std::optional<std::string> graph_schema() const {
        struct StringsFree {
            void operator()(qv_strings *s) const noexcept { qv_strings_free(s); }
        };
        qv_strings *raw = nullptr;
        detail::call([&](qv_error **e) { return qv_collection_get_graph_schema(handle(), &raw, e); });
        std::unique_ptr<qv_strings, StringsFree> list(raw);
        if (qv_strings_count(list.get()) == 0) return std::nullopt;
        const char *text = nullptr;
        size_t len = 0;
        detail::call([&](qv_error **e) { return qv_strings_get(list.get(), 0, &text, &len, e); });
        return std::string(text, len);
    }

    /// Walks the edges from `starts` (points of the collection; one given
    /// twice counts once) as `opts` says and returns the points reached,
    /// each once, in walk order (neighbours by ascending edge id), with
    /// their depth, the start they were reached from and the path of edge
    /// ids; no scores. Throws Status::InvalidArgument (max_depth out of
    /// 1..1000, min_depth above max_depth, limit out of range, more
    /// hop_labels than max_depth, a bad label, order, direction or
    /// filter), NotFound (a start is not a point of the collection; the
    /// message names `starts[i]`), OutOfMemory, Closed.
    Traversal traverse(span<const uint64_t> starts, const TraverseOptions &opts = TraverseOptions()) const {
        TraverseOptions::CArrays arrays;
        const qv_traverse_params p = opts.to_c(arrays);
        qv_traversal *out = nullptr;
        detail::call([&](qv_error **e) {
            return qv_collection_traverse(handle(), starts.data(), starts.size(), &p, &out, e);
        });
        return Traversal(out);
    }

    /// A vector search of `query` (the collection's dimension) with
    /// `search` (search.k() hits; with_payload is ignored) whose hits are
    /// then walked from as `traverse` says: the hits themselves at depth 0
    /// when traverse.min_depth() is 0, and the points reached, each once,
    /// in walk order from the best hit. Every visit has the score of the
    /// hit it was reached from (its origin). Throws as search() and
    /// traverse() (InvalidArgument, DimensionMismatch, Unsupported for a
    /// metadata-only collection), Io, OutOfMemory, Closed.
    Traversal search_expand(span<const float> query, const SearchParams &search = SearchParams(),
                            const TraverseOptions &traverse = TraverseOptions()) const {
        const qv_search_params sp = search.to_c();
        TraverseOptions::CArrays arrays;
        const qv_traverse_params tp = traverse.to_c(arrays);
        qv_traversal *out = nullptr;
        detail::call([&](qv_error **e) {
            return qv_collection_search_expand(handle(), query.data(), query.size(), &sp, &tp, &out, e);
        });
        return Traversal(out);
    }

    /// Walks from the hits of any search (search(), text_search(),
    /// sparse_search(), hybrid_search(), ...; best first) as `traverse`
    /// says, as search_expand() walks from its own: the hits at depth 0 when
    /// traverse.min_depth() is 0, and the points reached, each once, in walk
    /// order from the first hit, each with the score of the hit it was
    /// reached from. Hits that are no longer points (deleted since the
    /// search) are skipped. Throws as traverse() (but a hit that is not a
    /// point is no error), InvalidArgument (a score that is NaN).
    Traversal expand_hits(const QueryHits &hits, const TraverseOptions &traverse = TraverseOptions()) const {
        return expand_hits(hits.ids(), hits.scores(), traverse);
    }

    /// As expand_hits(QueryHits) from `ids` (best first) and their
    /// `scores`; with `scores` empty the visits carry no score. Throws
    /// InvalidArgument when `scores` is neither empty nor as long as `ids`.
    Traversal expand_hits(span<const uint64_t> ids, span<const float> scores,
                          const TraverseOptions &traverse = TraverseOptions()) const {
        if (!scores.empty() && scores.size() != ids.size())
            detail::throw_invalid("expand_hits: " + std::to_string(scores.size()) + " scores for " +
                                  std::to_string(ids.size()) + " ids");
        TraverseOptions::CArrays arrays;
        const qv_traverse_params tp = traverse.to_c(arrays);
        qv_traversal *out = nullptr;
        detail::call([&](qv_error **e) {
            return qv_collection_expand_hits(handle(), ids.data(), scores.empty() ? nullptr : scores.data(),
                                             ids.size(), &tp, &out, e);
        });
        return Traversal(out);
    }

    /// Walks from `starts` as traverse() does and returns the `k` points of
    /// the walk (1 to 100000) most similar to `query` (the collection's
    /// dimension), best first (equal scores by ascending id), each with its
    /// score in the collection's metric (as search() scores it).
    /// opts.limit() still caps the walk the points are ranked from. Throws
    /// as traverse(), InvalidArgument (k out of range, a query value not
    /// finite), Unsupported (a metadata-only collection), DimensionMismatch.
    Traversal traverse_ranked(span<const uint64_t> starts, const TraverseOptions &opts, span<const float> query,
                              uint32_t k = 10) const {
        TraverseOptions::CArrays arrays;
        const qv_traverse_params p = opts.to_c(arrays);
        qv_traversal *out = nullptr;
        detail::call([&](qv_error **e) {
            return qv_collection_traverse_ranked(handle(), starts.data(), starts.size(), &p, query.data(),
                                                 query.size(), k, &out, e);
        });
        return Traversal(out);
    }

    /// The shortest path from `from` to `to` (both points of the
    /// collection) as `opts` says, copied out of the library, or
    /// std::nullopt when `to` cannot be reached. Among paths of equal cost,
    /// the one found first visiting neighbours by ascending edge id.
    /// Throws Status::InvalidArgument (a bad label or direction, max_depth
    /// with weighted), NotFound (`from` or `to` is not a point of the
    /// collection), OutOfMemory, Closed.
    std::optional<Path> shortest_path(uint64_t from, uint64_t to, const PathOptions &opts = PathOptions()) const {
        struct PathFree {
            void operator()(qv_path *p) const noexcept { qv_path_free(p); }
        };
        std::vector<qv_label> labels;
        const qv_path_params p = opts.to_c(labels);
        qv_path *raw = nullptr;
        detail::call([&](qv_error **e) { return qv_collection_shortest_path(handle(), from, to, &p, &raw, e); });
        if (raw == nullptr) return std::nullopt;
        std::unique_ptr<qv_path, PathFree> owned(raw);
        qv_path_view v{};
        detail::call([&](qv_error **e) { return qv_path_get_view(owned.get(), &v, e); });
        Path path;
        path.cost = v.cost;
        const size_t n = static_cast<size_t>(v.npoints);
        if (n > 0) path.points.assign(v.points, v.points + n);
        if (n > 1 && v.edges != nullptr) path.edges.assign(v.edges, v.edges + (n - 1));
        return path;
    }

private:
    // Copies the edges of a qv_edges out, and frees it.
    static std::vector<Edge> edges_from(qv_edges *raw) {
        struct EdgesFree {
            void operator()(qv_edges *l) const noexcept { qv_edges_free(l); }
        };
        std::unique_ptr<qv_edges, EdgesFree> list(raw);
        std::vector<Edge> out;
        const size_t n = qv_edges_count(list.get());
        out.reserve(n);
        for (size_t i = 0; i < n; i++) {
            qv_edge e;
            qv_edge_init(&e);
            detail::call([&](qv_error **err) { return qv_edges_get(list.get(), i, &e, err); });
            Edge edge;
            edge.id = e.id;
            edge.source = e.source;
            edge.target = e.target;
            if (e.label != nullptr) edge.label.assign(reinterpret_cast<const char *>(e.label), e.label_len);
            edge.weight = e.weight;
            if (e.properties_json != nullptr)
                edge.properties.assign(reinterpret_cast<const char *>(e.properties_json), e.properties_len);
            out.push_back(std::move(edge));
        }
        return out;
    }

    // One payload per id, concatenated into the C layout.
    template <class Payloads>
    static void join_payloads(const Payloads &payloads, size_t n, std::vector<uint64_t> &offsets, std::string &data) {
        offsets.reserve(n + 1);
        offsets.push_back(0);
        size_t total = 0;
        for (const auto &p : payloads) total += std::string_view(p).size();
        data.reserve(total);
        for (const auto &p : payloads) {
            data.append(std::string_view(p));
            offsets.push_back(data.size());
        }
        if (offsets.size() != n + 1)
            detail::throw_invalid(std::to_string(offsets.size() - 1) + " payloads for " + std::to_string(n) + " ids");
    }

    // qv_collection_upsert_sparse: the columns in the C layout
    // (`payload_offsets`: ids.size() + 1 offsets, or NULL for no payloads).
    void upsert_sparse(span<const uint64_t> ids, span<const float> vectors, const uint64_t *payload_offsets,
                       std::string_view payload_data, span<const SparseColumn> sparse) {
        qv_collection *coll = handle();
        std::vector<detail::SparseCsr> csr;
        csr.reserve(sparse.size());
        std::vector<qv_sparse_column> columns;
        columns.reserve(sparse.size());
        for (size_t c = 0; c < sparse.size(); c++) {
            const SparseColumn &col = sparse[c];
            const auto where = [&] { return "sparse[" + std::to_string(c) + "] (" + FilterValue::quote(col.name) + ")"; };
            if (col.vectors.size() != ids.size())
                detail::throw_invalid(where() + " holds " + std::to_string(col.vectors.size()) + " vectors for " +
                                      std::to_string(ids.size()) +
                                      " ids; give one per id (an empty one: the point gets none of this name)");
            csr.emplace_back(col.vectors, [&](size_t i) {
                return where() + " of point " + std::to_string(ids[i]) + " (batch index " + std::to_string(i) + ")";
            });
            columns.push_back(csr.back().column(col.name));
        }
        detail::call([&](qv_error **e) {
            return qv_collection_upsert_sparse(coll, ids.data(), ids.size(), vectors.data(), vectors.size(),
                                               payload_offsets, detail::bytes(payload_data), payload_data.size(),
                                               columns.empty() ? nullptr : columns.data(), columns.size(), e);
        });
    }

    // The handle, or an Error for an object that holds none.
    qv_collection *handle() const {
        if (raw_ == nullptr)
            throw Error(Status::InvalidArgument,
                        "invalid argument: this quiver::Collection holds no handle (moved from, released or "
                        "default-constructed)");
        return raw_;
    }

    // train_quantizer: the C call, with the trampoline when there is a
    // callback; what the callback threw wins over the library's status
    // (QV_ERR_CANCELLED, which it caused).
    void train(const qv_train_params *params, const ProgressFn &progress) {
        qv_collection *coll = handle();
        detail::ProgressCall call;
        call.fn = &progress;
        qv_error *err = nullptr;
        const int32_t status =
            qv_collection_train_quantizer(coll, params, progress ? &detail::ProgressCall::trampoline : nullptr,
                                          progress ? &call : nullptr, &err);
        if (call.error) {
            detail::ErrorPtr owned(err);
            std::rethrow_exception(call.error);
        }
        detail::check(status, err);
    }

    // The JSON array of strings DELETE_KEYS takes.
    template <class Paths>
    static std::string path_list(const Paths &paths) {
        std::string out = "[";
        for (const auto &p : paths) {
            if (out.size() > 1) out += ", ";
            out += FilterValue::quote(std::string_view(p));
        }
        return out + "]";
    }

    // The C call takes `nq` and `dim` but not the length of `queries`: the
    // length must split into num_queries rows.
    static size_t query_dim(span<const float> queries, size_t num_queries) {
        if (num_queries == 0) return queries.size(); // the library reports nq == 0
        if (queries.size() % num_queries != 0)
            detail::throw_invalid("queries holds " + std::to_string(queries.size()) + " floats, not a multiple of " +
                                  std::to_string(num_queries) + " queries");
        return queries.size() / num_queries;
    }

    qv_collection *raw_ = nullptr;
};

// ---- database -------------------------------------------------------------------

/// An open database (a qv_database): a directory of collections. Move-only;
/// the destructor releases the handle (the database closes once its
/// collections are released too).
class Database {
public:
    Database() noexcept = default;
    /// Takes ownership of a C handle.
    explicit Database(qv_database *raw) noexcept : raw_(raw) {}
    ~Database() { qv_database_free(raw_); }
    Database(Database &&o) noexcept : raw_(std::exchange(o.raw_, nullptr)) {}
    Database &operator=(Database &&o) noexcept {
        if (this != &o) {
            qv_database_free(raw_);
            raw_ = std::exchange(o.raw_, nullptr);
        }
        return *this;
    }
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    /// Opens (creating if needed) the database in directory `path`.
    /// Throws Status::Locked when it is open already (here or in another
    /// process), IncompatibleFormat / Corrupt / Io.
    static Database open(std::string_view path, const DatabaseOptions &options = DatabaseOptions()) {
        qv_database *out = nullptr;
        detail::call([&](qv_error **e) {
            return qv_database_open(detail::bytes(path), path.size(), &options.raw(), &out, e);
        });
        return Database(out);
    }

    /// False for a default-constructed, moved-from or released object.
    bool valid() const noexcept { return raw_ != nullptr; }
    explicit operator bool() const noexcept { return valid(); }
    /// The C handle, still owned by *this.
    qv_database *get() const noexcept { return raw_; }
    /// Gives up ownership of the C handle (close and free it yourself).
    qv_database *release() noexcept { return std::exchange(raw_, nullptr); }

    /// Closes the database: waits for calls in flight, checkpoints and closes
    /// every collection (their handles then throw Status::Closed) and
    /// releases the directory lock. Throws Status::Io when the final
    /// checkpoint fails (the database is closed regardless). Closing twice,
    /// or a moved-from object, is a no-op.
    void close() {
        if (raw_ == nullptr) return;
        detail::call([&](qv_error **e) { return qv_database_close(raw_, e); });
    }

    /// Creates collection `name` (1 to 64 ASCII letters, digits, '_', '-',
    /// '.', not starting with '.'). Throws Status::AlreadyExists.
    Collection create_collection(std::string_view name, const CollectionConfig &config) {
        qv_collection *out = nullptr;
        detail::call([&](qv_error **e) {
            return qv_database_create_collection(handle(), detail::bytes(name), name.size(), &config.raw(), &out, e);
        });
        return Collection(out);
    }

    /// Opens the existing collection `name`. Throws Status::NotFound.
    Collection open_collection(std::string_view name) const {
        qv_collection *out = nullptr;
        detail::call([&](qv_error **e) {
            return qv_database_open_collection(handle(), detail::bytes(name), name.size(), &out, e);
        });
        return Collection(out);
    }

    /// The collection names, sorted.
    std::vector<std::string> list_collections() const {
        struct StringsFree {
            void operator()(qv_strings *s) const noexcept { qv_strings_free(s); }
        };
        qv_strings *raw = nullptr;
        detail::call([&](qv_error **e) { return qv_database_list_collections(handle(), &raw, e); });
        std::unique_ptr<qv_strings, StringsFree> list(raw);
        std::vector<std::string> names;
        const size_t n = qv_strings_count(list.get());
        names.reserve(n);
        for (size_t i = 0; i < n; i++) {
            const char *s = nullptr;
            size_t len = 0;
            detail::call([&](qv_error **e) { return qv_strings_get(list.get(), i, &s, &len, e); });
            names.emplace_back(s, len);
        }
        return names;
    }

    /// Deletes collection `name` and its files; its open handles throw
    /// Status::Closed afterwards. Throws Status::NotFound.
    void drop_collection(std::string_view name) {
        detail::call([&](qv_error **e) {
            return qv_database_drop_collection(handle(), detail::bytes(name), name.size(), e);
        });
    }

private:
    // The handle, or an Error for an object that holds none.
    qv_database *handle() const {
        if (raw_ == nullptr)
            throw Error(Status::InvalidArgument,
                        "invalid argument: this quiver::Database holds no handle (moved from, released or "
                        "default-constructed)");
        return raw_;
    }

    qv_database *raw_ = nullptr;
};

} // namespace quiver

#endif // QUIVER_HPP
