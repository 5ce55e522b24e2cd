#include "otlp_decoder.hpp"

#include <zlib.h>

#include <stdexcept>

#include "node_tool.hpp"

namespace lumen::testing {

nlohmann::json decode_otlp(const std::string& payload, std::string_view kind) {
  return run_node_decoder("decode_otlp.js", {std::string(kind)}, payload);
}

std::string gunzip(const std::string& data) {
  z_stream zs{};
  // 16 + MAX_WBITS: expect the gzip wrapper, not raw zlib.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    throw std::runtime_error("gunzip: inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof buffer;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // truncated input
  }
  const bool complete = rc == Z_STREAM_END && zs.avail_in == 0;
  inflateEnd(&zs);
  if (!complete)
    throw std::runtime_error("gunzip: not a complete gzip stream (zlib code " + std::to_string(rc) +
                             ")");
  return out;
}

}  // namespace lumen::testing
