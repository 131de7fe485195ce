// Helpers shared by the C++ binding's tests: temporary directories, small
// synthetic data and the WordNet sample.
#ifndef QUIVER_TEST_UTIL_HPP
#define QUIVER_TEST_UTIL_HPP

#include <quiver.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace qt {

namespace fs = std::filesystem;

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
public:
    TempDir() {
        const char *base = std::getenv("TMPDIR");
        std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/quiver-cpp-XXXXXX";
        std::vector<char> buf(pattern.begin(), pattern.end());
        buf.push_back('\0');
        if (mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = buf.data();
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;

    const std::string &path() const { return path_; }
    std::string operator/(const std::string &name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

/// Runs `f` and checks that it throws quiver::Error with `status`; returns
/// the message.
inline std::string expect_error(quiver::Status status, const std::function<void()> &f) {
    try {
        f();
    } catch (const quiver::Error &e) {
        EXPECT_EQ(e.status(), status) << "status " << quiver::status_name(e.status()) << ": " << e.what();
        EXPECT_STRNE(e.what(), "") << "an error needs a message";
        return e.what();
    } catch (const std::exception &e) {
        ADD_FAILURE() << "expected quiver::Error (" << quiver::status_name(status) << "), got std::exception: "
                      << e.what();
        return {};
    }
    ADD_FAILURE() << "expected quiver::Error (" << quiver::status_name(status) << "), nothing was thrown";
    return {};
}

/// `n` deterministic pseudo-random vectors of `dim` floats in [-1, 1).
inline std::vector<float> random_vectors(size_t n, size_t dim, uint32_t seed = 42) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> v(n * dim);
    for (float &x : v) x = u(rng);
    return v;
}

/// ids first, first + 1, ..., first + n - 1.
inline std::vector<uint64_t> iota_ids(size_t n, uint64_t first = 0) {
    std::vector<uint64_t> ids(n);
    for (size_t i = 0; i < n; i++) ids[i] = first + i;
    return ids;
}

// ---- the WordNet sample (tests/data/wordnet-sample) ---------------------------------

inline std::string data_dir() {
    const char *env = std::getenv("QUIVER_TEST_DATA");
    return env != nullptr && *env != '\0' ? env : QUIVER_TEST_DATA_DEFAULT;
}

constexpr size_t wordnet_dim = 384;

inline float half_to_float(uint16_t h) {
    const unsigned sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float v;
    if (exp == 0)
        v = std::ldexp(static_cast<float>(mant), -24);
    else if (exp == 31)
        v = mant ? NAN : INFINITY;
    else
        v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
    return sign ? -v : v;
}

/// The first `rows` vectors of a half-float file of the sample.
inline std::vector<float> read_f16(const std::string &file, size_t rows) {
    std::ifstream in(data_dir() + "/" + file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + data_dir() + "/" + file);
    std::vector<unsigned char> raw(rows * wordnet_dim * 2);
    in.read(reinterpret_cast<char *>(raw.data()), static_cast<std::streamsize>(raw.size()));
    if (static_cast<size_t>(in.gcount()) != raw.size()) throw std::runtime_error("short read of " + file);
    std::vector<float> out(rows * wordnet_dim);
    for (size_t i = 0; i < out.size(); i++)
        out[i] = half_to_float(static_cast<uint16_t>(raw[2 * i] | raw[2 * i + 1] << 8));
    return out;
}

/// The first `rows` lines of base.jsonl.
inline std::vector<std::string> read_jsonl(size_t rows) {
    std::ifstream in(data_dir() + "/base.jsonl");
    if (!in) throw std::runtime_error("cannot open " + data_dir() + "/base.jsonl");
    std::vector<std::string> lines;
    std::string line;
    while (lines.size() < rows && std::getline(in, line)) lines.push_back(line);
    if (lines.size() != rows) throw std::runtime_error("base.jsonl is short");
    return lines;
}

/// The exact top-100 ids of the first `rows` queries (gt100.u32).
inline std::vector<uint32_t> read_gt(size_t rows) {
    std::ifstream in(data_dir() + "/gt100.u32", std::ios::binary);
    if (!in) throw std::runtime_error("cannot open gt100.u32");
    std::vector<unsigned char> raw(rows * 100 * 4);
    in.read(reinterpret_cast<char *>(raw.data()), static_cast<std::streamsize>(raw.size()));
    if (static_cast<size_t>(in.gcount()) != raw.size()) throw std::runtime_error("short read of gt100.u32");
    std::vector<uint32_t> out(rows * 100);
    for (size_t i = 0; i < out.size(); i++)
        out[i] = static_cast<uint32_t>(raw[4 * i]) | static_cast<uint32_t>(raw[4 * i + 1]) << 8 |
                 static_cast<uint32_t>(raw[4 * i + 2]) << 16 | static_cast<uint32_t>(raw[4 * i + 3]) << 24;
    return out;
}

/// True when the tests run under valgrind (test.sh sets this), where a few
/// tests use less data or skip what valgrind cannot do.
inline bool under_valgrind() {
    const char *v = std::getenv("QUIVER_TEST_UNDER_VALGRIND");
    return v != nullptr && *v == '1';
}



} // namespace qt

#endif // QUIVER_TEST_UTIL_HPP
