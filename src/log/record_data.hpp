// Decoding a record's encoded fields into typed attributes (RecordData, sink.hpp), for sinks that
// re-encode records. Writer thread only, like the line formatter.
#pragma once

#include "log/redactor.hpp"
#include "lumen/core/attributes.hpp"

namespace lumen::log::detail {

class Reader;

// Reads fields until the reader is done and sets each in `out` (a later key replaces an earlier
// one): scalars typed, redacted keys as "[REDACTED]", nested values and nulls as JSON text.
void read_attributes(Reader& reader, const Redactor& redactor, Attributes& out);

}  // namespace lumen::log::detail
