// Reads the message buffers Thunder's processes write (what the
// MessageControl plugin does on a device), so the end-to-end test can tell
// whether a log line of the plugin's out-of-process part reached Thunder.
#pragma once

#include "Module.h"

#include <memory>
#include <set>

namespace PROBE_NAMESPACE {
namespace Plugin {

    class MessageReader {
    public:
        MessageReader(const MessageReader&) = delete;
        MessageReader& operator=(const MessageReader&) = delete;
        MessageReader() = default;
        ~MessageReader();

        // Read takes in what the buffers hold now and returns every message
        // text read so far. The folder is the one Thunder tells the processes
        // it starts, in its MESSAGE_DISPATCHER_CONFIG; Folder() says which.
        std::vector<string> Read();
        string Folder() const { return _folder; }

    private:
        bool Open();
        void AddNewInstances();

        Core::CriticalSection _lock;
        string _folder;
        string _identifier;
        std::unique_ptr<Messaging::MessageClient> _client;
        Messaging::TraceFactoryType<Core::Messaging::IStore::Tracing, Core::Messaging::TextMessage> _tracing;
        Messaging::TraceFactoryType<Core::Messaging::IStore::Logging, Core::Messaging::TextMessage> _logging;
        std::set<uint32_t> _instances;
        std::vector<string> _texts;
    };

} // namespace Plugin
} // namespace PROBE_NAMESPACE
