// Where a process runs, as it sees itself: what the end-to-end test compares
// between Thunder and the plugin's out-of-process part.
#pragma once

#include "Module.h"

namespace PROBE_NAMESPACE {
namespace Plugin {

    class Whereabouts : public Core::JSON::Container {
    public:
        Whereabouts(const Whereabouts&) = delete;
        Whereabouts& operator=(const Whereabouts&) = delete;
        // Fills every field from the calling process.
        Whereabouts();

        Core::JSON::DecUInt32 Pid;
        Core::JSON::DecUInt32 Uid;
        Core::JSON::DecUInt32 Gid;
        Core::JSON::String Hostname;
        Core::JSON::String Executable;
        // The namespaces, as /proc/self/ns shows them ("mnt:[4026531841]"):
        // the same numbers on the host name the same namespaces.
        Core::JSON::String MountNamespace;
        Core::JSON::String UserNamespace;
        Core::JSON::String PidNamespace;
        Core::JSON::String UtsNamespace;
        Core::JSON::String NetNamespace;
        // What became of the file the plugin's config asked to write.
        Core::JSON::String Wrote;
    };

} // namespace Plugin
} // namespace PROBE_NAMESPACE
