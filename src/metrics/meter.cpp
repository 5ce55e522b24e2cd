#include "lumen/metrics/meter.hpp"

#include <cmath>
#include <deque>
#include <mutex>

#include "lumen/core/error.hpp"
#include "lumen/core/internal/mutex.hpp"
#include "metrics/exponential_cell.hpp"
#include "metrics/instrument_state.hpp"

namespace lumen::metrics {

bool is_valid_instrument_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 255) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(name[0])) return false;
  for (char c : name.substr(1)) {
    const bool ok =
        alpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' || c == '/';
    if (!ok) return false;
  }
  return true;
}

namespace {

void validate_bounds(std::string_view name, const std::vector<double>& bounds) {
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i - 1] < bounds[i]))) {
      throw Error("histogram '" + std::string(name) +
                  "': bucket boundaries must be finite and strictly increasing");
    }
  }
}

void validate_exponential(std::string_view name, const Base2Exponential& e) {
  if (e.max_size < 2 || e.max_size > detail::kMaxExponentialSize) {
    throw Error("histogram '" + std::string(name) + "': exponential max_size must be 2 .. " +
                std::to_string(detail::kMaxExponentialSize) + " (got " +
                std::to_string(e.max_size) + ")");
  }
  if (e.max_scale < detail::kMinExponentialScale || e.max_scale > detail::kMaxExponentialScale) {
    throw Error("histogram '" + std::string(name) + "': exponential max_scale must be " +
                std::to_string(detail::kMinExponentialScale) + " .. " +
                std::to_string(detail::kMaxExponentialScale) + " (got " +
                std::to_string(e.max_scale) + ")");
  }
}

const char* kind_name(InstrumentKind kind) {
  switch (kind) {
    case InstrumentKind::kCounter:
      return "counter";
    case InstrumentKind::kUpDownCounter:
      return "up-down counter";
    case InstrumentKind::kHistogram:
      return "histogram";
    case InstrumentKind::kObservableCounter:
      return "observable counter";
    case InstrumentKind::kObservableUpDownCounter:
      return "observable up-down counter";
    case InstrumentKind::kObservableGauge:
      return "observable gauge";
  }
  return "instrument";
}

}  // namespace

class MeterProviderState {
 public:
  explicit MeterProviderState(MeterProviderOptions options)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? options_.clock : &SystemClock::instance()) {}

  Meter& meter(std::string_view name) {
    lumen::internal::MutexLock lock(mu_);
    for (Meter& m : meters_) {
      if (m.name() == name) return m;
    }
    meters_.push_back(Meter(options_.enabled ? this : nullptr, std::string(name)));
    return meters_.back();
  }

  detail::InstrumentState* instrument(const std::string& scope, std::string_view name,
                                      InstrumentKind kind, bool is_integer,
                                      const InstrumentOptions& opts) {
    if (!is_valid_instrument_name(name)) {
      throw Error("invalid instrument name '" + std::string(name) +
                  "': it must start with a letter, contain only letters, digits and _ . - /, and "
                  "be at most 255 characters");
    }
    detail::InstrumentConfig config;
    config.name = std::string(name);
    config.description = opts.description;
    config.unit = opts.unit;
    config.scope = scope;
    config.kind = kind;
    config.is_integer = is_integer;
    config.cardinality_limit = options_.cardinality_limit;
    config.clock = clock_;
    config.exemplars = options_.exemplar_filter != ExemplarFilter::kAlwaysOff;
    config.exemplar_every_measurement = options_.exemplar_filter == ExemplarFilter::kAlwaysOn;
    if (kind == InstrumentKind::kHistogram) {
      if (opts.exponential && !opts.boundaries.empty()) {
        throw Error("histogram '" + std::string(name) +
                    "': set either boundaries or exponential, not both");
      }
      config.exponential = opts.exponential;
      if (!opts.exponential) {
        config.bounds = opts.boundaries.empty() ? default_latency_boundaries() : opts.boundaries;
      }
    }
    for (const View& v : options_.views) {
      if (v.instrument_name != name) continue;
      if (!v.rename.empty()) {
        if (!is_valid_instrument_name(v.rename)) {
          throw Error("view for '" + std::string(name) + "': invalid new name '" + v.rename + "'");
        }
        config.name = v.rename;
      }
      config.keep_keys = v.keep_keys;
      config.drop_keys = v.drop_keys;
      if (kind == InstrumentKind::kHistogram) {
        if (v.boundaries && v.exponential) {
          throw Error("view for '" + std::string(name) +
                      "': set either boundaries or exponential, not both");
        }
        if (v.boundaries) {
          config.bounds = *v.boundaries;
          config.exponential.reset();
        } else if (v.exponential) {
          config.bounds.clear();
          config.exponential = v.exponential;
        }
      }
    }
    validate_bounds(name, config.bounds);
    if (config.exponential) validate_exponential(name, *config.exponential);

    lumen::internal::MutexLock lock(mu_);
    for (const auto& existing : instruments_) {
      const detail::InstrumentConfig& c = existing->config();
      if (c.scope != scope || c.name != config.name) continue;
      if (c.kind != kind || c.is_integer != is_integer) {
        throw Error("instrument '" + config.name + "' already exists in meter '" + scope +
                    "' as a " + kind_name(c.kind) + "; pick another name");
      }
      return existing.get();
    }
    instruments_.push_back(
        std::make_unique<detail::InstrumentState>(std::move(config), clock_->wall_ns()));
    return instruments_.back().get();
  }

  MetricsSnapshot collect() {
    lumen::internal::MutexLock collect_lock(collect_mu_);
    std::vector<detail::InstrumentState*> instruments;
    {
      lumen::internal::MutexLock lock(mu_);
      for (const auto& i : instruments_) instruments.push_back(i.get());
    }
    MetricsSnapshot snap;
    snap.resource = options_.resource;
    const std::uint64_t now = clock_->wall_ns();
    for (detail::InstrumentState* i : instruments) {
      MetricData data;
      if (i->collect(data, now)) snap.metrics.push_back(std::move(data));
    }
    return snap;
  }

  const Resource& resource() const noexcept { return options_.resource; }

 private:
  MeterProviderOptions options_;
  const Clock* clock_;
  lumen::internal::Mutex mu_;
  std::deque<Meter> meters_ LUMEN_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<detail::InstrumentState>> instruments_ LUMEN_GUARDED_BY(mu_);
  lumen::internal::Mutex collect_mu_;
};

detail::InstrumentState* Meter::instrument(std::string_view name, InstrumentKind kind,
                                           bool is_integer, const InstrumentOptions& opts) {
  if (provider_ == nullptr) return nullptr;  // Meter::noop(): instruments without storage
  return provider_->instrument(name_, name, kind, is_integer, opts);
}

template <typename T>
Counter<T> Meter::create_counter(std::string_view name, const InstrumentOptions& opts) {
  return Counter<T>(instrument(name, InstrumentKind::kCounter, std::is_integral_v<T>, opts));
}

template <typename T>
UpDownCounter<T> Meter::create_up_down_counter(std::string_view name,
                                               const InstrumentOptions& opts) {
  return UpDownCounter<T>(
      instrument(name, InstrumentKind::kUpDownCounter, std::is_integral_v<T>, opts));
}

template Counter<std::int64_t> Meter::create_counter<std::int64_t>(std::string_view,
                                                                   const InstrumentOptions&);
template Counter<double> Meter::create_counter<double>(std::string_view, const InstrumentOptions&);
template UpDownCounter<std::int64_t> Meter::create_up_down_counter<std::int64_t>(
    std::string_view, const InstrumentOptions&);
template UpDownCounter<double> Meter::create_up_down_counter<double>(std::string_view,
                                                                     const InstrumentOptions&);

Histogram Meter::create_histogram(std::string_view name, const InstrumentOptions& opts) {
  return Histogram(instrument(name, InstrumentKind::kHistogram, false, opts));
}

ObservableRegistration Meter::observable(std::string_view name, InstrumentKind kind,
                                         ObservableCallback callback,
                                         const InstrumentOptions& opts) {
  detail::InstrumentState* state = instrument(name, kind, false, opts);
  if (state == nullptr) return {};  // a no-op meter never calls back
  const std::uint64_t id = state->add_callback(std::move(callback));
  return ObservableRegistration(state, id);
}

ObservableRegistration Meter::create_observable_counter(std::string_view name,
                                                        ObservableCallback callback,
                                                        const InstrumentOptions& opts) {
  return observable(name, InstrumentKind::kObservableCounter, std::move(callback), opts);
}

ObservableRegistration Meter::create_observable_up_down_counter(std::string_view name,
                                                                ObservableCallback callback,
                                                                const InstrumentOptions& opts) {
  return observable(name, InstrumentKind::kObservableUpDownCounter, std::move(callback), opts);
}

ObservableRegistration Meter::create_observable_gauge(std::string_view name,
                                                      ObservableCallback callback,
                                                      const InstrumentOptions& opts) {
  return observable(name, InstrumentKind::kObservableGauge, std::move(callback), opts);
}

ObservableRegistration::ObservableRegistration(ObservableRegistration&& other) noexcept
    : state_(std::exchange(other.state_, nullptr)), id_(other.id_) {}

ObservableRegistration& ObservableRegistration::operator=(ObservableRegistration&& other) noexcept {
  if (this != &other) {
    reset();
    state_ = std::exchange(other.state_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

Meter Meter::noop(std::string name) {
  return Meter(nullptr, std::move(name));
}

void ObservableRegistration::reset() noexcept {
  if (state_ != nullptr) {
    state_->remove_callback(id_);
    state_ = nullptr;
  }
}

MeterProvider::MeterProvider(MeterProviderOptions options)
    : state_(std::make_unique<MeterProviderState>(std::move(options))) {}
MeterProvider::~MeterProvider() = default;

Meter& MeterProvider::meter(std::string_view name) {
  return state_->meter(name);
}
MetricsSnapshot MeterProvider::collect() const {
  return state_->collect();
}
const Resource& MeterProvider::resource() const noexcept {
  return state_->resource();
}

}  // namespace lumen::metrics
