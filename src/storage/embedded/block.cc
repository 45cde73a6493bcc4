// BlockReader: opens a block file (docs/storage/embedded-blocks.md), keeps its meta section and
// trace-ID filter resident, and reads everything else on demand through the shared BlockCache.
// WriteBlock is in block_writer.cc, the section decoders in block_codec.cc.
#include "storage/embedded/block.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/crc32c.h"
#include "base/status.h"
#include "model/convert/jaeger.h"
#include "storage/embedded/block_cache.h"
#include "storage/embedded/block_codec.h"
#include "storage/embedded/block_format.h"
#include "storage/span_match.h"

namespace skua::storage::embedded {
namespace {

using block_codec::BlockDict;
using block_codec::PageData;
using block_codec::PageLead;
using block_codec::SearchIndex;
using block_format::BloomBlockIndex;
using block_format::BloomBlockMayContain;
using block_format::BloomMayContain;
using block_format::ByteReader;
using block_format::kBloomBlockBytes;
using block_format::kCodecNone;
using block_format::kCodecZstd;
using block_format::kFormatVersion;
using block_format::kHeaderSize;
using block_format::kMagic;
using block_format::kMaxExpansion;
using block_format::kMaxRawBytes;
using block_format::kTagChunkBlocks;
using block_format::kTagChunkBytes;
using block_format::kTrailerSize;
using block_format::LoadFixed32;
using block_format::LoadFixed64;
using block_format::SkipChecksumsForTest;
using block_format::TagHash;
using block_format::TagKeyHash;
using block_format::TraceIdHash;

// What a cache entry holds.
enum CacheKind : uint32_t {
  kDictEntry = 1,
  kSearchEntry,
  kLeadEntry,
  kPageEntry,
  kTagEntry,
  kDepsEntry
};

struct Part {
  uint64_t offset = 0;
  uint64_t stored = 0;
  uint64_t raw = 0;
  uint8_t codec = kCodecNone;
  uint32_t crc = 0;
};

struct PageMeta {
  Part lead, body;
  uint32_t spans = 0;
  uint32_t traces = 0;
  model::TraceId first_trace, last_trace;
  uint64_t min_start = 0, max_start = 0;
  uint64_t min_duration = 0, max_duration = 0;
};

struct DepsValue {
  std::vector<DependencyLink> links;
};

struct TagChunk {
  std::string bytes;
};

struct DCtxDeleter {
  void operator()(ZSTD_DCtx* ctx) const { ZSTD_freeDCtx(ctx); }
};

ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> ctx(ZSTD_createDCtx());
  return ctx.get();
}

model::TraceId ReadTraceId(ByteReader& in) {
  std::string_view b = in.Bytes(16);
  if (b.size() != 16) return {};
  return model::TraceId::FromBytes(reinterpret_cast<const uint8_t*>(b.data()));
}

class BlockReaderImpl final : public BlockReader {
 public:
  BlockReaderImpl(std::string path, int fd, std::shared_ptr<BlockCache> cache)
      : path_(std::move(path)), fd_(fd), cache_holder_(std::move(cache)) {
    cache_ = dynamic_cast<BlockCacheImpl*>(cache_holder_.get());
    if (cache_ != nullptr) owner_ = cache_->NewOwner();
  }
  ~BlockReaderImpl() override {
    if (cache_ != nullptr) cache_->EraseOwner(owner_);
    if (fd_ >= 0) ::close(fd_);
  }

  absl::Status Load();

  const BlockInfo& info() const override { return info_; }
  size_t resident_bytes() const override {
    return sizeof(*this) + path_.capacity() + info_.tenant.capacity() +
           pages_.capacity() * sizeof(PageMeta) + trace_filter_.capacity() +
           tag_crcs_.capacity() * sizeof(uint32_t);
  }
  bool MayContainTrace(const model::TraceId& id) const override {
    return BloomMayContain(trace_filter_.data(), trace_blocks_, TraceIdHash(id.high, id.low));
  }
  absl::Status ReadTrace(const model::TraceId& id, model::SpanSet& out) const override;
  absl::StatusOr<std::vector<BlockMatch>> Search(const TraceQuery& query) const override;
  absl::StatusOr<std::vector<ServiceOperations>> Catalog() const override;
  absl::StatusOr<std::vector<DependencyLink>> Dependencies(uint64_t start_time,
                                                           uint64_t end_time) const override;
  absl::Status ForEachTrace(const std::function<bool(model::SpanSet trace)>& fn) const override;

 private:
  absl::Status Loss(std::string_view what) const {
    return absl::DataLossError(absl::StrCat("block ", path_, ": ", std::string(what)));
  }
  absl::Status Annotate(const absl::Status& s, std::string_view what) const {
    return absl::Status(s.code(),
                        absl::StrCat("block ", path_, ": ", std::string(what), ": ", s.message()));
  }
  absl::StatusOr<std::string> ReadBytes(uint64_t offset, uint64_t length,
                                        std::string_view what) const;
  // Reads, verifies and decompresses one part.
  absl::StatusOr<std::string> ReadPart(const Part& part, std::string_view what) const;
  absl::Status ParseMeta(std::string_view meta, uint64_t meta_offset);

  template <typename T>
  std::shared_ptr<const T> CacheGet(CacheKind kind, uint32_t index) const {
    if (cache_ == nullptr) return nullptr;
    return std::static_pointer_cast<const T>(cache_->Lookup({owner_, kind, index}));
  }
  template <typename T>
  void CachePut(CacheKind kind, uint32_t index, const std::shared_ptr<const T>& value,
                size_t charge) const {
    if (cache_ != nullptr) cache_->Insert({owner_, kind, index}, value, charge);
  }

  absl::StatusOr<std::shared_ptr<const BlockDict>> GetDict() const;
  absl::StatusOr<std::shared_ptr<const SearchIndex>> GetSearch() const;
  // `fill`: whether a page read for a scan of the whole block is kept in the cache.
  absl::StatusOr<std::shared_ptr<const PageLead>> GetLead(uint32_t page, bool fill = true) const;
  absl::StatusOr<std::shared_ptr<const PageData>> GetPage(uint32_t page, bool fill = true) const;
  // False if the block holds no span with tag (key, value).
  absl::StatusOr<bool> TagMayMatch(std::string_view key, std::string_view value) const;
  // Pages [first, last) whose trace range includes `id`.
  std::pair<uint32_t, uint32_t> PagesOf(const model::TraceId& id) const;
  absl::Status TraceBounds(const model::TraceId& id, BlockMatch& match) const;
  absl::StatusOr<std::vector<DependencyLink>> ComputeDependencies(uint64_t start_time,
                                                                  uint64_t end_time) const;

  const std::string path_;
  const int fd_;
  const std::shared_ptr<BlockCache> cache_holder_;
  BlockCacheImpl* cache_ = nullptr;
  uint64_t owner_ = 0;

  BlockInfo info_;
  uint64_t origin_count_ = 0;
  uint64_t name_count_ = 0;
  Part dict_, search_;
  uint64_t tag_offset_ = 0;
  uint64_t tag_blocks_ = 0;
  std::vector<uint32_t> tag_crcs_;
  uint64_t trace_blocks_ = 0;
  std::string trace_filter_;
  std::vector<PageMeta> pages_;
};

absl::StatusOr<std::string> BlockReaderImpl::ReadBytes(uint64_t offset, uint64_t length,
                                                       std::string_view what) const {
  if (offset > info_.file_bytes || length > info_.file_bytes - offset) {
    return Loss(absl::StrCat(std::string(what), " lies outside the file"));
  }
  std::string out(length, '\0');
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("block ", path_, ": reading ", std::string(what),
                                                 ": ", std::strerror(errno)));
    }
    if (n == 0) return Loss(absl::StrCat(std::string(what), ": file is truncated"));
    done += static_cast<size_t>(n);
  }
  return out;
}

absl::StatusOr<std::string> BlockReaderImpl::ReadPart(const Part& part,
                                                      std::string_view what) const {
  SKUA_ASSIGN_OR_RETURN(std::string stored, ReadBytes(part.offset, part.stored, what));
  if (!SkipChecksumsForTest() && Crc32c(stored) != part.crc) {
    return Loss(absl::StrCat(std::string(what), ": checksum mismatch"));
  }
  if (part.codec == kCodecNone) return stored;
  unsigned long long size = ZSTD_getFrameContentSize(stored.data(), stored.size());
  if (size != part.raw) return Loss(absl::StrCat(std::string(what), ": bad compressed frame"));
  std::string raw(part.raw, '\0');
  size_t n =
      ZSTD_decompressDCtx(ThreadDCtx(), raw.data(), raw.size(), stored.data(), stored.size());
  if (ZSTD_isError(n) || n != part.raw) {
    return Loss(absl::StrCat(std::string(what), ": cannot decompress"));
  }
  return raw;
}

absl::Status BlockReaderImpl::Load() {
  struct stat st;
  if (::fstat(fd_, &st) != 0) {
    return absl::UnavailableError(absl::StrCat("block ", path_, ": ", std::strerror(errno)));
  }
  info_.file_bytes = static_cast<uint64_t>(st.st_size);
  if (info_.file_bytes < kHeaderSize + kTrailerSize) {
    return Loss(absl::StrCat("too short for a block file (", info_.file_bytes, " bytes)"));
  }
  SKUA_ASSIGN_OR_RETURN(std::string header, ReadBytes(0, kHeaderSize, "header"));
  if (std::memcmp(header.data(), kMagic, sizeof kMagic) != 0) {
    return Loss("not a block file (bad magic)");
  }
  if (uint32_t v = LoadFixed32(header.data() + 8); v != kFormatVersion) {
    return Loss(absl::StrCat("unsupported format version ", v));
  }
  SKUA_ASSIGN_OR_RETURN(std::string trailer,
                        ReadBytes(info_.file_bytes - kTrailerSize, kTrailerSize, "trailer"));
  if (std::memcmp(trailer.data() + 24, kMagic, sizeof kMagic) != 0) {
    return Loss("trailer magic missing (truncated file?)");
  }
  if (!SkipChecksumsForTest() &&
      Crc32c(std::string_view(trailer.data(), 20)) != LoadFixed32(trailer.data() + 20)) {
    return Loss("trailer checksum mismatch");
  }
  if (uint32_t v = LoadFixed32(trailer.data() + 16); v != kFormatVersion) {
    return Loss(absl::StrCat("unsupported format version ", v));
  }
  const uint64_t meta_offset = LoadFixed64(trailer.data());
  const uint64_t meta_length = LoadFixed32(trailer.data() + 8);
  if (meta_offset < kHeaderSize || meta_offset + meta_length + kTrailerSize != info_.file_bytes) {
    return Loss("meta section does not fit the file (truncated or extended file?)");
  }
  SKUA_ASSIGN_OR_RETURN(std::string meta, ReadBytes(meta_offset, meta_length, "meta section"));
  if (!SkipChecksumsForTest() && Crc32c(meta) != LoadFixed32(trailer.data() + 12)) {
    return Loss("meta section checksum mismatch");
  }
  SKUA_RETURN_IF_ERROR(ParseMeta(meta, meta_offset));
  return absl::OkStatus();
}

absl::Status BlockReaderImpl::ParseMeta(std::string_view meta, uint64_t meta_offset) {
  ByteReader in(meta);
  // A part must lie between the header and the meta section and decode to a sane size.
  auto read_part = [&](Part& p, uint64_t offset) {
    p.offset = offset;
    p.stored = in.Varint();
    p.raw = in.Varint();
    p.codec = in.Byte();
    p.crc = in.Fixed32();
    if (!in.ok()) return false;
    if (p.offset < kHeaderSize || p.offset > meta_offset || p.stored > meta_offset - p.offset) {
      return false;
    }
    if (p.codec == kCodecNone) return p.raw == p.stored;
    return p.codec == kCodecZstd && p.raw <= kMaxRawBytes && p.raw <= p.stored * kMaxExpansion;
  };
  info_.id = in.Varint();
  info_.tenant = std::string(in.String());
  info_.min_start = in.Varint();
  info_.max_start = in.Varint();
  info_.span_count = in.Varint();
  info_.trace_count = in.Varint();
  in.Varint();  // compression level (informational)
  in.Varint();  // page target bytes (informational)
  origin_count_ = in.Varint();
  name_count_ = in.Varint();
  if (!in.ok() || info_.min_start > info_.max_start || info_.span_count == 0 ||
      info_.trace_count == 0 || info_.trace_count > info_.span_count ||
      origin_count_ > UINT32_MAX || name_count_ > UINT32_MAX) {
    return Loss("malformed meta section (block info)");
  }
  if (!read_part(dict_, in.Varint()) || !read_part(search_, in.Varint())) {
    return Loss("malformed meta section (section directory)");
  }
  tag_offset_ = in.Varint();
  tag_blocks_ = in.Varint();
  const uint64_t chunks = in.Count(4);
  if (!in.ok() || tag_blocks_ == 0 ||
      chunks != (tag_blocks_ + kTagChunkBlocks - 1) / kTagChunkBlocks ||
      tag_offset_ < kHeaderSize || tag_offset_ > meta_offset ||
      tag_blocks_ > (meta_offset - tag_offset_) / kBloomBlockBytes) {
    return Loss("malformed meta section (tag filter)");
  }
  tag_crcs_.resize(chunks);
  for (uint32_t& crc : tag_crcs_) crc = in.Fixed32();
  const uint64_t trace_offset = in.Varint();
  trace_blocks_ = in.Varint();
  const uint32_t trace_crc = in.Fixed32();
  if (!in.ok() || trace_blocks_ == 0 || trace_offset < kHeaderSize || trace_offset > meta_offset ||
      trace_blocks_ > (meta_offset - trace_offset) / kBloomBlockBytes) {
    return Loss("malformed meta section (trace filter)");
  }
  const uint64_t page_count = in.Count(50);
  if (!in.ok() || page_count == 0) return Loss("malformed meta section (page count)");
  pages_.resize(page_count);
  uint64_t spans = 0;
  for (uint64_t i = 0; i < page_count; ++i) {
    PageMeta& p = pages_[i];
    const uint64_t offset = in.Varint();
    if (!read_part(p.lead, offset) || !read_part(p.body, offset + p.lead.stored)) {
      return Loss(absl::StrCat("malformed meta section (page ", i, " location)"));
    }
    const uint64_t page_spans = in.Varint();
    const uint64_t page_traces = in.Varint();
    p.first_trace = ReadTraceId(in);
    p.last_trace = ReadTraceId(in);
    p.min_start = in.Varint() + info_.min_start;
    p.max_start = in.Varint() + info_.min_start;
    p.min_duration = in.Varint();
    p.max_duration = in.Varint();
    spans += page_spans;
    if (!in.ok() || page_traces == 0 || page_spans < page_traces || page_spans > UINT32_MAX ||
        p.last_trace < p.first_trace || p.min_start > p.max_start ||
        (i > 0 && p.first_trace < pages_[i - 1].last_trace) || spans > info_.span_count) {
      return Loss(absl::StrCat("malformed meta section (page ", i, ")"));
    }
    p.spans = static_cast<uint32_t>(page_spans);
    p.traces = static_cast<uint32_t>(page_traces);
  }
  if (!in.ok() || !in.empty() || spans != info_.span_count) {
    return Loss("malformed meta section (page directory)");
  }
  SKUA_ASSIGN_OR_RETURN(trace_filter_,
                        ReadBytes(trace_offset, trace_blocks_ * kBloomBlockBytes, "trace filter"));
  if (!SkipChecksumsForTest() && Crc32c(trace_filter_) != trace_crc) {
    return Loss("trace filter checksum mismatch");
  }
  return absl::OkStatus();
}

// --- Sections through the cache -----------------------------------------------------------------

absl::StatusOr<std::shared_ptr<const BlockDict>> BlockReaderImpl::GetDict() const {
  if (auto cached = CacheGet<BlockDict>(kDictEntry, 0)) return cached;
  SKUA_ASSIGN_OR_RETURN(std::string raw, ReadPart(dict_, "dictionary"));
  auto dict = block_codec::DecodeDict(std::move(raw));
  if (!dict.ok()) return Annotate(dict.status(), "dictionary");
  if ((*dict)->origin_resource.size() != origin_count_ || (*dict)->names.size() != name_count_) {
    return Loss("dictionary does not match the meta section");
  }
  CachePut(kDictEntry, 0, *dict, (*dict)->charge);
  return dict;
}

absl::StatusOr<std::shared_ptr<const SearchIndex>> BlockReaderImpl::GetSearch() const {
  if (auto cached = CacheGet<SearchIndex>(kSearchEntry, 0)) return cached;
  SKUA_ASSIGN_OR_RETURN(std::string raw, ReadPart(search_, "search index"));
  auto index = block_codec::DecodeSearchIndex(raw, static_cast<uint32_t>(pages_.size()));
  if (!index.ok()) return Annotate(index.status(), "search index");
  if ((*index)->origin_service.size() != origin_count_) {
    return Loss("search index does not match the meta section");
  }
  CachePut(kSearchEntry, 0, *index, (*index)->charge);
  return index;
}

absl::StatusOr<std::shared_ptr<const PageLead>> BlockReaderImpl::GetLead(uint32_t page,
                                                                         bool fill) const {
  if (auto cached = CacheGet<PageLead>(kLeadEntry, page)) return cached;
  const PageMeta& p = pages_[page];
  const std::string what = absl::StrCat("page ", page, " lead");
  SKUA_ASSIGN_OR_RETURN(std::string raw, ReadPart(p.lead, what));
  auto lead = block_codec::DecodeLead(raw, info_.min_start, p.spans, p.traces,
                                      static_cast<uint32_t>(origin_count_),
                                      static_cast<uint32_t>(name_count_));
  if (!lead.ok()) return Annotate(lead.status(), what);
  if ((*lead)->trace_ids.front() != p.first_trace || (*lead)->trace_ids.back() != p.last_trace) {
    return Loss(absl::StrCat(what, ": traces do not match the page directory"));
  }
  if (fill) CachePut(kLeadEntry, page, *lead, (*lead)->charge);
  return lead;
}

absl::StatusOr<std::shared_ptr<const PageData>> BlockReaderImpl::GetPage(uint32_t page,
                                                                         bool fill) const {
  if (auto cached = CacheGet<PageData>(kPageEntry, page)) return cached;
  SKUA_ASSIGN_OR_RETURN(auto lead, GetLead(page, fill));
  SKUA_ASSIGN_OR_RETURN(auto dict, GetDict());
  const std::string what = absl::StrCat("page ", page, " body");
  SKUA_ASSIGN_OR_RETURN(std::string body, ReadPart(pages_[page].body, what));
  auto data = block_codec::DecodePage(std::move(lead), std::move(dict), std::move(body));
  if (!data.ok()) return Annotate(data.status(), what);
  if (fill) CachePut(kPageEntry, page, *data, (*data)->charge);
  return data;
}

absl::StatusOr<bool> BlockReaderImpl::TagMayMatch(std::string_view key,
                                                  std::string_view value) const {
  const uint64_t hash = TagHash(TagKeyHash(key), value);
  const size_t block = BloomBlockIndex(hash, tag_blocks_);
  const uint32_t chunk = static_cast<uint32_t>(block / kTagChunkBlocks);
  std::shared_ptr<const TagChunk> data = CacheGet<TagChunk>(kTagEntry, chunk);
  if (data == nullptr) {
    const uint64_t begin = uint64_t{chunk} * kTagChunkBytes;
    const uint64_t length =
        std::min<uint64_t>(kTagChunkBytes, tag_blocks_ * kBloomBlockBytes - begin);
    auto chunk_data = std::make_shared<TagChunk>();
    const std::string what = absl::StrCat("tag filter chunk ", chunk);
    SKUA_ASSIGN_OR_RETURN(chunk_data->bytes, ReadBytes(tag_offset_ + begin, length, what));
    if (!SkipChecksumsForTest() && Crc32c(chunk_data->bytes) != tag_crcs_[chunk]) {
      return Loss(absl::StrCat(what, ": checksum mismatch"));
    }
    data = chunk_data;
    CachePut(kTagEntry, chunk, data, sizeof(TagChunk) + chunk_data->bytes.capacity());
  }
  return BloomBlockMayContain(data->bytes.data() + (block % kTagChunkBlocks) * kBloomBlockBytes,
                              hash);
}

std::pair<uint32_t, uint32_t> BlockReaderImpl::PagesOf(const model::TraceId& id) const {
  auto first =
      std::lower_bound(pages_.begin(), pages_.end(), id,
                       [](const PageMeta& p, const model::TraceId& v) { return p.last_trace < v; });
  auto last = first;
  while (last != pages_.end() && !(id < last->first_trace)) ++last;
  return {static_cast<uint32_t>(first - pages_.begin()),
          static_cast<uint32_t>(last - pages_.begin())};
}

// --- Reads ---------------------------------------------------------------------------------------

absl::Status BlockReaderImpl::ReadTrace(const model::TraceId& id, model::SpanSet& out) const {
  if (!MayContainTrace(id)) return absl::OkStatus();
  auto [first, last] = PagesOf(id);
  for (uint32_t p = first; p < last; ++p) {
    // The lead's trace table settles a filter false positive without decoding the body.
    SKUA_ASSIGN_OR_RETURN(auto lead, GetLead(p));
    if (lead->FindTrace(id) < 0) continue;
    SKUA_ASSIGN_OR_RETURN(auto page, GetPage(p));
    const int64_t t = page->lead->FindTrace(id);
    if (t < 0) continue;
    const auto& spans = page->spans.spans();
    const uint32_t begin = page->lead->trace_begin[t], end = page->lead->trace_begin[t + 1];
    out.spans().reserve(out.size() + (end - begin));
    for (uint32_t i = begin; i < end; ++i) out.CopySpan(spans[i]);
  }
  return absl::OkStatus();
}

absl::Status BlockReaderImpl::TraceBounds(const model::TraceId& id, BlockMatch& match) const {
  match.start_time = UINT64_MAX;
  match.end_time = 0;
  auto [first, last] = PagesOf(id);
  for (uint32_t p = first; p < last; ++p) {
    SKUA_ASSIGN_OR_RETURN(auto lead, GetLead(p));
    const int64_t t = lead->FindTrace(id);
    if (t < 0) continue;
    for (uint32_t i = lead->trace_begin[t]; i < lead->trace_begin[t + 1]; ++i) {
      match.start_time = std::min(match.start_time, lead->start[i]);
      match.end_time = std::max(match.end_time, std::max(lead->end[i], lead->start[i]));
    }
  }
  return absl::OkStatus();
}

// The trace of span `i` of a page.
uint32_t TraceOfSpan(const PageLead& lead, uint32_t i) {
  return static_cast<uint32_t>(
      std::upper_bound(lead.trace_begin.begin(), lead.trace_begin.end(), i) -
      lead.trace_begin.begin() - 1);
}

absl::StatusOr<std::vector<BlockMatch>> BlockReaderImpl::Search(const TraceQuery& query) const {
  if (query.num_traces <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_traces must be > 0, got ", query.num_traces));
  }
  std::vector<BlockMatch> out;
  if (query.start_time_max < info_.min_start || query.start_time_min > info_.max_start ||
      query.start_time_min > query.start_time_max) {
    return out;
  }
  if (query.duration_max != 0 && query.duration_min > query.duration_max) return out;
  SKUA_ASSIGN_OR_RETURN(auto index, GetSearch());

  // Service and operation: which pages can hold them.
  constexpr uint32_t kAny = UINT32_MAX;
  uint32_t service = kAny;
  uint32_t name = kAny;
  std::vector<bool> page_ok(pages_.size(), true);
  auto restrict_to = [&](const std::vector<uint32_t>& pages) {
    std::vector<bool> keep(pages_.size(), false);
    for (uint32_t p : pages) keep[p] = page_ok[p];
    page_ok.swap(keep);
  };
  if (!query.service_name.empty()) {
    auto it = std::lower_bound(
        index->services.begin(), index->services.end(), query.service_name,
        [](const SearchIndex::Service& s, const std::string& v) { return s.name < v; });
    if (it == index->services.end() || it->name != query.service_name) return out;
    service = static_cast<uint32_t>(it - index->services.begin());
    restrict_to(it->pages);
  }
  if (!query.operation_name.empty()) {
    std::vector<uint32_t> pages;
    for (const SearchIndex::Op& op : index->ops) {
      if (op.name != query.operation_name || (service != kAny && op.service != service)) continue;
      name = op.name_id;
      pages.insert(pages.end(), op.pages.begin(), op.pages.end());
    }
    if (name == kAny) return out;
    restrict_to(pages);
  }
  // Tags: a value the block never saw rules it out.
  for (const auto& [key, value] : query.tags) {
    SKUA_ASSIGN_OR_RETURN(bool may, TagMayMatch(key, value));
    if (!may) return out;
  }

  struct Candidate {
    uint64_t start;
    uint32_t page;
    uint32_t span;
    bool operator<(const Candidate& o) const { return start < o.start; }  // max-heap by start
  };
  std::vector<Candidate> candidates;
  absl::flat_hash_map<model::TraceId, uint64_t, model::TraceIdHash> newest;
  TraceQuery untagged = query;
  untagged.tags.clear();
  // One partial span, reused: the search fields of a lead entry, enough for SpanMatches without
  // tags (it looks at nothing else).
  model::Span partial;
  partial.name = name != kAny ? std::string_view(query.operation_name) : std::string_view();
  for (uint32_t p = 0; p < pages_.size(); ++p) {
    const PageMeta& pm = pages_[p];
    if (!page_ok[p] || pm.max_start < query.start_time_min || pm.min_start > query.start_time_max ||
        (query.duration_min != 0 && pm.max_duration < query.duration_min) ||
        (query.duration_max != 0 && pm.min_duration > query.duration_max)) {
      continue;
    }
    SKUA_ASSIGN_OR_RETURN(auto lead, GetLead(p));
    const uint32_t n = static_cast<uint32_t>(lead->span_count());
    for (uint32_t i = 0; i < n; ++i) {
      // Cheap rejections first, on the columns.
      if (name != kAny && lead->name[i] != name) continue;
      const uint64_t start = lead->start[i];
      if (start < query.start_time_min || start > query.start_time_max) continue;
      const uint32_t svc = index->origin_service[lead->origin[i]];
      if (service != kAny && svc != service) continue;
      partial.resource = &index->services[svc].resource;
      partial.start_time_unix_nano = start;
      partial.end_time_unix_nano = lead->end[i];
      if (!SpanMatches(partial, untagged)) continue;
      if (query.tags.empty()) {
        const model::TraceId& id = lead->trace_ids[TraceOfSpan(*lead, i)];
        auto [it, inserted] = newest.try_emplace(id, start);
        if (!inserted) it->second = std::max(it->second, start);
      } else {
        candidates.push_back({start, p, i});
      }
    }
  }

  std::vector<std::pair<model::TraceId, uint64_t>> matches;
  if (query.tags.empty()) {
    matches.assign(newest.begin(), newest.end());
  } else {
    // Newest candidate first (a heap: usually only a few are visited); pages are decoded only
    // until the limit is settled.
    std::make_heap(candidates.begin(), candidates.end());
    absl::flat_hash_map<uint32_t, std::shared_ptr<const PageData>> decoded;
    absl::flat_hash_set<model::TraceId, model::TraceIdHash> confirmed;
    const size_t limit = static_cast<size_t>(query.num_traces);
    for (auto end = candidates.end(); end != candidates.begin(); --end) {
      std::pop_heap(candidates.begin(), end);
      const Candidate& c = *(end - 1);
      if (matches.size() >= limit && c.start < matches[limit - 1].second) break;
      std::shared_ptr<const PageData>& page = decoded[c.page];
      if (page == nullptr) {
        SKUA_ASSIGN_OR_RETURN(page, GetPage(c.page));
      }
      const model::TraceId& id = page->lead->trace_ids[TraceOfSpan(*page->lead, c.span)];
      if (confirmed.contains(id)) continue;
      if (!SpanMatches(page->spans.spans()[c.span], query)) continue;
      confirmed.insert(id);
      matches.emplace_back(id, c.start);
    }
  }
  auto newer = [](const std::pair<model::TraceId, uint64_t>& a,
                  const std::pair<model::TraceId, uint64_t>& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first < b.first;
  };
  const size_t keep = std::min(matches.size(), static_cast<size_t>(query.num_traces));
  std::partial_sort(matches.begin(), matches.begin() + keep, matches.end(), newer);
  matches.resize(keep);
  out.reserve(keep);
  for (const auto& [id, newest_start] : matches) {
    BlockMatch m;
    m.trace_id = id;
    m.newest_match = newest_start;
    SKUA_RETURN_IF_ERROR(TraceBounds(id, m));
    out.push_back(m);
  }
  return out;
}

absl::StatusOr<std::vector<ServiceOperations>> BlockReaderImpl::Catalog() const {
  SKUA_ASSIGN_OR_RETURN(auto index, GetSearch());
  std::vector<ServiceOperations> out;
  for (uint32_t s = 0; s < index->services.size(); ++s) {
    // Like the memory store's index: spans without a service name are not listed.
    if (index->services[s].name.empty()) continue;
    ServiceOperations entry;
    entry.service = index->services[s].name;
    for (const SearchIndex::Op& op : index->ops) {
      if (op.service != s) continue;
      for (uint32_t k = 0; k <= static_cast<uint32_t>(model::SpanKind::kConsumer); ++k) {
        if ((op.kinds & (uint32_t{1} << k)) == 0) continue;
        entry.operations.push_back(
            Operation{op.name, std::string(model::SpanKindName(static_cast<model::SpanKind>(k)))});
      }
    }
    std::sort(entry.operations.begin(), entry.operations.end(),
              [](const Operation& a, const Operation& b) {
                return std::tie(a.name, a.span_kind) < std::tie(b.name, b.span_kind);
              });
    entry.operations.erase(std::unique(entry.operations.begin(), entry.operations.end()),
                           entry.operations.end());
    out.push_back(std::move(entry));
  }
  return out;
}

absl::StatusOr<std::vector<DependencyLink>> BlockReaderImpl::Dependencies(uint64_t start_time,
                                                                          uint64_t end_time) const {
  if (end_time < info_.min_start || start_time > info_.max_start || start_time > end_time) {
    return std::vector<DependencyLink>();
  }
  // A window covering the whole block has one answer, worth keeping.
  const bool whole = start_time <= info_.min_start && end_time >= info_.max_start;
  if (whole) {
    if (auto cached = CacheGet<DepsValue>(kDepsEntry, 0)) return cached->links;
  }
  SKUA_ASSIGN_OR_RETURN(auto links, ComputeDependencies(start_time, end_time));
  if (whole) {
    auto value = std::make_shared<DepsValue>();
    value->links = links;
    size_t charge = sizeof(DepsValue);
    for (const DependencyLink& l : links) {
      charge += sizeof(l) + l.parent.capacity() + l.child.capacity() + l.source.capacity();
    }
    CachePut<DepsValue>(kDepsEntry, 0, value, charge);
  }
  return links;
}

absl::StatusOr<std::vector<DependencyLink>> BlockReaderImpl::ComputeDependencies(
    uint64_t start_time, uint64_t end_time) const {
  // Pages whose spans can start in the window, plus the pages sharing a trace with them.
  std::vector<bool> needed(pages_.size());
  for (size_t p = 0; p < pages_.size(); ++p) {
    needed[p] = pages_[p].max_start >= start_time && pages_[p].min_start <= end_time;
  }
  for (size_t p = 1; p < pages_.size(); ++p) {
    if (needed[p - 1] && pages_[p].first_trace == pages_[p - 1].last_trace) needed[p] = true;
  }
  for (size_t p = pages_.size() - 1; p > 0; --p) {
    if (needed[p] && pages_[p].first_trace == pages_[p - 1].last_trace) needed[p - 1] = true;
  }

  std::map<std::pair<std::string, std::string>, uint64_t> counts;
  std::vector<model::Span> spans;  // views into `held`
  std::vector<std::shared_ptr<const PageData>> held;
  model::TraceId current;
  bool in_window = false;
  auto finish = [&]() {
    if (in_window && !spans.empty()) {
      model::jaeger::JaegerTrace trace = model::jaeger::ToJaegerTrace(spans);
      model::jaeger::ForEachDependencyEdge(trace,
                                           [&](std::string_view parent, std::string_view child) {
                                             // Same-service edges are no dependencies (memory store
                                             // semantics, jaeger-compat §3.3).
                                             if (parent == child) return;
                                             ++counts[{std::string(parent), std::string(child)}];
                                           });
    }
    spans.clear();
    in_window = false;
  };
  for (uint32_t p = 0; p < pages_.size(); ++p) {
    if (!needed[p]) continue;
    SKUA_ASSIGN_OR_RETURN(auto page, GetPage(p, /*fill=*/false));
    const PageLead& lead = *page->lead;
    for (uint32_t t = 0; t < lead.trace_ids.size(); ++t) {
      if (spans.empty() || lead.trace_ids[t] != current) {
        finish();
        held.clear();
        current = lead.trace_ids[t];
      }
      if (held.empty() || held.back() != page) held.push_back(page);
      for (uint32_t i = lead.trace_begin[t]; i < lead.trace_begin[t + 1]; ++i) {
        const model::Span& s = page->spans.spans()[i];
        in_window = in_window ||
                    (s.start_time_unix_nano >= start_time && s.start_time_unix_nano <= end_time);
        spans.push_back(s);
      }
    }
  }
  finish();
  std::vector<DependencyLink> out;
  out.reserve(counts.size());
  for (auto& [edge, count] : counts) {
    out.push_back(DependencyLink{edge.first, edge.second, count, "jaeger"});
  }
  return out;
}

absl::Status BlockReaderImpl::ForEachTrace(
    const std::function<bool(model::SpanSet trace)>& fn) const {
  model::SpanSet pending;
  model::TraceId current;
  for (uint32_t p = 0; p < pages_.size(); ++p) {
    SKUA_ASSIGN_OR_RETURN(auto page, GetPage(p, /*fill=*/false));
    const PageLead& lead = *page->lead;
    for (uint32_t t = 0; t < lead.trace_ids.size(); ++t) {
      if (!pending.empty() && lead.trace_ids[t] != current) {
        if (!fn(std::move(pending))) return absl::OkStatus();
        pending = model::SpanSet();
      }
      current = lead.trace_ids[t];
      for (uint32_t i = lead.trace_begin[t]; i < lead.trace_begin[t + 1]; ++i) {
        pending.CopySpan(page->spans.spans()[i]);
      }
    }
  }
  if (!pending.empty()) fn(std::move(pending));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<BlockReader>> BlockReader::Open(const std::string& path,
                                                               std::shared_ptr<BlockCache> cache) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    std::string message = absl::StrCat("opening block ", path, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    return absl::UnavailableError(message);
  }
  auto reader = std::make_shared<BlockReaderImpl>(path, fd, std::move(cache));
  SKUA_RETURN_IF_ERROR(reader->Load());
  return std::shared_ptr<BlockReader>(std::move(reader));
}

}  // namespace skua::storage::embedded
