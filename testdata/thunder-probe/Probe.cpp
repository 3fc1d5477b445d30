// Probe: the test plugin of thunder-lxc's end-to-end test. Its
// out-of-process part (ProbeImplementation) runs in Thunder's hosting
// process, in the plugin's container when the plugin is in mode Container;
// the in-process part answers over JSON-RPC:
//
//   Probe.1.where     where both parts run: pid, IDs, hostname, namespaces,
//                     and what became of the file the config asked to write
//   Probe.1.messages  every message text that reached Thunder's message
//                     buffers so far (the out-of-process part logs one)
//
// Its configuration (the "configuration" object of Probe.json), besides
// "root": "say": a text the out-of-process part logs when it starts;
// "write", "writeuid", "writegid": a file it writes as that user and group
// (container IDs), e.g. in a shared folder.
#include "Module.h"
#include "MessageReader.h"
#include "Whereabouts.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/fsuid.h>
#include <unistd.h>

MODULE_NAME_DECLARATION(BUILD_REFERENCE)

namespace PROBE_NAMESPACE {
namespace Plugin {

    class ProbeConfig : public Core::JSON::Container {
    public:
        ProbeConfig(const ProbeConfig&) = delete;
        ProbeConfig& operator=(const ProbeConfig&) = delete;
        ProbeConfig()
            : Core::JSON::Container()
        {
            Add(_T("say"), &Say);
            Add(_T("write"), &Write);
            Add(_T("writeuid"), &WriteUid);
            Add(_T("writegid"), &WriteGid);
        }

        Core::JSON::String Say;
        Core::JSON::String Write;
        Core::JSON::DecUInt32 WriteUid;
        Core::JSON::DecUInt32 WriteGid;
    };

    // The out-of-process part. Thunder's IPlugin is its whole interface, so
    // no proxy of the plugin's own is needed: Initialize gets the shell
    // (through which it reads the config), Information says where it runs.
    class ProbeImplementation : public PluginHost::IPlugin {
    public:
        ProbeImplementation(const ProbeImplementation&) = delete;
        ProbeImplementation& operator=(const ProbeImplementation&) = delete;
        ProbeImplementation() = default;
        ~ProbeImplementation() override = default;

        const string Initialize(PluginHost::IShell* service) override
        {
            ProbeConfig config;
            config.FromString(service->ConfigLine());
            if (config.Write.IsSet() == true) {
                _wrote = WriteAs(config.Write.Value(), config.WriteUid.Value(), config.WriteGid.Value());
            }
            if (config.Say.IsSet() == true) {
                SYSLOG(Logging::Notification, (_T("Probe out of process says %s"), config.Say.Value().c_str()));
            }
            return (string());
        }
        void Deinitialize(PluginHost::IShell*) override
        {
        }
        string Information() const override
        {
            Whereabouts here;
            here.Wrote = _wrote;
            string text;
            here.ToString(text);
            return (text);
        }

        BEGIN_INTERFACE_MAP(ProbeImplementation)
        INTERFACE_ENTRY(PluginHost::IPlugin)
        END_INTERFACE_MAP

    private:
        // WriteAs writes a line into file as user uid and group gid, the way a
        // service of that user in the container would. setfsuid and setfsgid
        // change this thread's file-system IDs only, and are set back.
        static string WriteAs(const string& file, const uint32_t uid, const uint32_t gid)
        {
            const int oldGid = ::setfsgid(gid);
            const int oldUid = ::setfsuid(uid);
            int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            const int error = errno;
            ::setfsuid(oldUid);
            ::setfsgid(oldGid);
            if (fd < 0) {
                return (file + _T(": ") + ::strerror(error));
            }
            static const char line[] = "written by the Probe plugin in its container\n";
            const bool written = (::write(fd, line, sizeof(line) - 1) == static_cast<ssize_t>(sizeof(line) - 1));
            ::close(fd);
            return (written ? file : file + _T(": short write"));
        }

        string _wrote;
    };

    SERVICE_REGISTRATION(ProbeImplementation, 1, 0)

    class MessageList : public Core::JSON::Container {
    public:
        MessageList(const MessageList&) = delete;
        MessageList& operator=(const MessageList&) = delete;
        MessageList()
            : Core::JSON::Container()
        {
            Add(_T("folder"), &Folder);
            Add(_T("texts"), &Texts);
        }

        Core::JSON::String Folder;
        Core::JSON::ArrayType<Core::JSON::String> Texts;
    };

    // The in-process part, in Thunder.
    class Probe : public PluginHost::IPlugin, public PluginHost::JSONRPC {
    public:
        Probe(const Probe&) = delete;
        Probe& operator=(const Probe&) = delete;
        Probe()
            : _service(nullptr)
            , _remote(nullptr)
            , _connection(0)
        {
        }
        ~Probe() override = default;

        const string Initialize(PluginHost::IShell* service) override
        {
            _service = service;
            _service->AddRef();
            _remote = service->Root<PluginHost::IPlugin>(_connection, 10000, _T("ProbeImplementation"));
            if (_remote == nullptr) {
                return (_T("Probe: its out-of-process part did not start (Thunder's and LXC's logs say why)"));
            }
            const string failed = _remote->Initialize(service);
            if (failed.empty() == false) {
                return (failed);
            }
            Register(_T("where"), Core::JSONRPC::InvokeFunction([this](const Core::JSONRPC::Context&, const string&, const string&, string& result) -> uint32_t {
                Whereabouts thunder;
                string here;
                thunder.ToString(here);
                result = _T("{\"plugin\":") + _remote->Information() + _T(",\"thunder\":") + here + _T("}");
                return (Core::ERROR_NONE);
            }));
            Register(_T("messages"), Core::JSONRPC::InvokeFunction([this](const Core::JSONRPC::Context&, const string&, const string&, string& result) -> uint32_t {
                MessageList list;
                for (const string& text : _messages.Read()) {
                    list.Texts.Add() = text;
                }
                list.Folder = _messages.Folder();
                list.ToString(result);
                return (Core::ERROR_NONE);
            }));
            return (string());
        }

        void Deinitialize(PluginHost::IShell* service) override
        {
            if (_remote != nullptr) {
                Unregister(_T("where"));
                Unregister(_T("messages"));
                _remote->Deinitialize(service);
                RPC::IRemoteConnection* connection = service->RemoteConnection(_connection);
                _remote->Release();
                _remote = nullptr;
                if (connection != nullptr) {
                    connection->Terminate();
                    connection->Release();
                }
            }
            _connection = 0;
            _service->Release();
            _service = nullptr;
        }

        string Information() const override
        {
            return (string());
        }

        BEGIN_INTERFACE_MAP(Probe)
        INTERFACE_ENTRY(PluginHost::IPlugin)
        INTERFACE_ENTRY(PluginHost::IDispatcher)
        END_INTERFACE_MAP

    private:
        PluginHost::IShell* _service;
        PluginHost::IPlugin* _remote;
        uint32_t _connection;
        MessageReader _messages;
    };

    namespace {
        static Metadata<Probe> metadata(1, 0, 0, {}, {}, {});
    }

    SERVICE_REGISTRATION(Probe, 1, 0)

} // namespace Plugin
} // namespace PROBE_NAMESPACE
