#include "Whereabouts.h"

#include <unistd.h>

namespace PROBE_NAMESPACE {
namespace Plugin {

    namespace {
        string Link(const char path[])
        {
            char target[256];
            ssize_t length = ::readlink(path, target, sizeof(target) - 1);
            return (length < 0 ? string("?") : string(target, length));
        }
    }

    Whereabouts::Whereabouts()
        : Core::JSON::Container()
    {
        Add(_T("pid"), &Pid);
        Add(_T("uid"), &Uid);
        Add(_T("gid"), &Gid);
        Add(_T("hostname"), &Hostname);
        Add(_T("exe"), &Executable);
        Add(_T("mntns"), &MountNamespace);
        Add(_T("userns"), &UserNamespace);
        Add(_T("pidns"), &PidNamespace);
        Add(_T("utsns"), &UtsNamespace);
        Add(_T("netns"), &NetNamespace);
        Add(_T("wrote"), &Wrote);

        char host[256] = {};
        ::gethostname(host, sizeof(host) - 1);
        Pid = static_cast<uint32_t>(::getpid());
        Uid = static_cast<uint32_t>(::getuid());
        Gid = static_cast<uint32_t>(::getgid());
        Hostname = string(host);
        Executable = Link("/proc/self/exe");
        MountNamespace = Link("/proc/self/ns/mnt");
        UserNamespace = Link("/proc/self/ns/user");
        PidNamespace = Link("/proc/self/ns/pid");
        UtsNamespace = Link("/proc/self/ns/uts");
        NetNamespace = Link("/proc/self/ns/net");
    }

} // namespace Plugin
} // namespace PROBE_NAMESPACE
