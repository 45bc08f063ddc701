// vpcdns: a DNS resolver for VPC and hybrid networks.
//
//   vpcdns                       serve with the embedded default config (127.0.0.1:5353)
//   vpcdns --config FILE         serve with FILE
//   vpcdns --check-config FILE   validate FILE; exit 0 if valid, 1 with every error otherwise
//   vpcdns --print-default-config
//   vpcdns --version | --help
//   vpcdns ctl [--server HOST:PORT] [--token T] COMMAND   the control CLI (app/ctl.h)
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "app/ctl.h"
#include "app/logging.h"
#include "common/privileges.h"
#include "config/config.h"
#include "server/daemon.h"
#include "server/resolver_stage.h"
#include "server/snapshot.h"

namespace {

constexpr const char* kVersion = "0.1.0";

constexpr const char* kUsage =
    "usage: vpcdns [--config FILE] [--check-config FILE] [--print-default-config]\n"
    "              [--version] [--help]\n"
    "       vpcdns ctl [--server HOST:PORT] [--token T] COMMAND   (vpcdns ctl --help)\n"
    "Without --config, vpcdns serves the embedded default configuration\n"
    "(see --print-default-config): UDP and TCP on 127.0.0.1:5353.\n";

struct Options {
  std::string config_file;
  bool check_only = false;
};

int printErrors(const std::vector<vpcdns::config::ConfigError>& errors) {
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.toString().c_str());
  std::fprintf(stderr, "%zu error(s)\n", errors.size());
  return 1;
}

// Returns -1 to go on, else the exit code.
int parseArgs(int argc, char** argv, Options& opts) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool takes_file = arg == "--config" || arg == "-c" || arg == "--check-config";
    if (takes_file) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "vpcdns: %s needs a file name\n%s", argv[i], kUsage);
        return 2;
      }
      opts.config_file = argv[++i];
      opts.check_only = opts.check_only || arg == "--check-config";
    } else if (arg == "--print-default-config") {
      std::fwrite(vpcdns::config::kDefaultConfigYaml.data(), 1,
                  vpcdns::config::kDefaultConfigYaml.size(), stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("vpcdns %s\n", kVersion);
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "vpcdns: unknown argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  // `vpcdns ctl ...`: the control CLI, a client of a running daemon's admin API (app/ctl.h).
  if (argc > 1 && std::string_view(argv[1]) == "ctl")
    return vpcdns::app::runCtl(argc - 2, argv + 2);
  Options opts;
  if (int rc = parseArgs(argc, argv, opts); rc >= 0) return rc;

  auto loaded =
      opts.config_file.empty()
          ? vpcdns::config::loadString(vpcdns::config::kDefaultConfigYaml, "<embedded default>")
          : vpcdns::config::loadFile(opts.config_file);
  if (!loaded) return printErrors(loaded.error());
  auto config = std::make_shared<const vpcdns::config::Config>(std::move(loaded).value());
  // Zone files are part of the configuration: --check-config loads them too.
  auto snapshot = vpcdns::server::buildSnapshot(config);
  if (!snapshot) {
    for (const auto& e : snapshot.error()) std::fprintf(stderr, "%s\n", e.c_str());
    std::fprintf(stderr, "%zu error(s)\n", snapshot.error().size());
    return 1;
  }
  // So are the root hints; the cache and the server table are made here too.
  auto runtime = vpcdns::server::buildResolverRuntime(*config);
  if (!runtime) {
    std::fprintf(stderr, "%s\n1 error(s)\n", runtime.error().c_str());
    return 1;
  }
  if (opts.check_only) {
    std::printf("%s: OK (%zu zone(s), %zu VPC(s))\n", opts.config_file.c_str(),
                config->zones.size(), config->vpcs.size());
    return 0;
  }
  if (!vpcdns::app::setupLogging(config->logging.level, config->logging.format)) {
    std::fprintf(stderr, "vpcdns: bad logging settings\n");
    return 1;
  }
  spdlog::info("vpcdns {} starting with config {}", kVersion, config->source);

  auto forwarding = vpcdns::server::buildForwardRuntime(*config, (*runtime)->cache.get());
  // Moved, not copied: the first snapshot must be freeable after the first reload.
  vpcdns::server::Daemon daemon(std::move(*snapshot), opts.config_file, *runtime, forwarding);
  if (auto bound = daemon.bind(); !bound) {
    spdlog::critical("cannot listen: {}", bound.error());
    return 1;
  }
  // Root is needed only to bind port 53: drop it before any worker starts (README "Deployment").
  if (!config->server.user.empty()) {
    auto dropped = vpcdns::dropPrivileges({config->server.uid, config->server.gid});
    if (!dropped) {
      spdlog::critical("{}: server.user {}: {}", config->source, config->server.user,
                       dropped.error());
      return 1;
    }
    spdlog::info("{} user {} (uid {}, gid {})", *dropped ? "now running as" : "already running as",
                 config->server.user, config->server.uid, config->server.gid);
  }
  const int rc = daemon.run();
  spdlog::shutdown();
  return rc;
}
