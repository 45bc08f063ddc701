// `vpcdns ctl`: the control CLI, a client of the admin HTTP API (README "Control CLI").
#pragma once

namespace vpcdns::app {

// `argv[0]` is the first argument after "ctl". Exit codes: 0 done, 1 the server refused (its
// message printed), 2 usage or connection error.
int runCtl(int argc, char** argv);

}  // namespace vpcdns::app
