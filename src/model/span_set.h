// SpanSet: a list of spans together with the arena that owns everything they point to. It is the
// unit that flows through skua: a decoded export request (a batch), a stored trace, a query result.
//
// Thread-safety: none; a SpanSet is owned by one thread at a time and may be moved between threads.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/arena.h"
#include "model/span.h"

namespace skua::model {

class SpanSet {
 public:
  explicit SpanSet(size_t first_block_size = 4096) : arena_(first_block_size) {}
  SpanSet(SpanSet&&) noexcept = default;
  SpanSet& operator=(SpanSet&&) noexcept = default;

  std::vector<Span>& spans() { return spans_; }
  const std::vector<Span>& spans() const { return spans_; }
  Arena& arena() { return arena_; }
  size_t size() const { return spans_.size(); }
  bool empty() const { return spans_.empty(); }

  // Appends a deep copy of `span` (strings, attributes, events, links, resource and scope) whose
  // memory this set owns. A resource or scope equal in content to one this set already holds is
  // shared rather than copied again, so a trace stores each service's resource once.
  Span& CopySpan(const Span& span);
  // CopySpan for each span of `spans`.
  void CopySpans(std::span<const Span> spans);

  // Deep-copies helpers, usable while building spans by hand.
  Attributes CopyAttributes(Attributes attributes);
  AnyValue CopyValue(const AnyValue& value);
  const Resource* CopyResource(const Resource& resource);
  const Scope* CopyScope(const Scope& scope);

  // Approximate memory held: arena blocks plus the span vector.
  size_t bytes_used() const { return arena_.bytes_reserved() + spans_.capacity() * sizeof(Span); }

 private:
  Arena arena_;
  std::vector<Span> spans_;
  // Resources and scopes this set owns, for content de-duplication in CopySpan.
  std::vector<const Resource*> resources_;
  std::vector<const Scope*> scopes_;
};

// Makes a Resource in `arena` from attributes (already in the arena) and caches service.name.
const Resource* MakeResource(Arena& arena, Attributes attributes);

// A trace: every stored span that shares one trace ID.
using Trace = SpanSet;

}  // namespace skua::model
