// The test plugin Probe: what every file of it includes.
#pragma once

#ifndef MODULE_NAME
#define MODULE_NAME Plugin_Probe
#endif

#include <plugins/plugins.h>
#include <messaging/messaging.h>

// Thunder R5 calls its namespace Thunder, WPEFramework R4 WPEFramework;
// CMake passes the one it built against.
#ifndef PROBE_NAMESPACE
#define PROBE_NAMESPACE Thunder
#endif

#undef EXTERNAL
#define EXTERNAL
