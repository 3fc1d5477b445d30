#include "MessageReader.h"

#include <cstdio>
#include <cstdlib>
#include <dirent.h>

namespace PROBE_NAMESPACE {
namespace Plugin {

    MessageReader::~MessageReader()
    {
        if (_client != nullptr) {
            _client->ClearInstances();
        }
    }

    // MESSAGE_DISPATCHER_CONFIG is folder|identifier|port|mode|size[|...].
    bool MessageReader::Open()
    {
        if (_client != nullptr) {
            return (true);
        }
        const char* config = ::getenv("MESSAGE_DISPATCHER_CONFIG");
        if (config == nullptr) {
            return (false);
        }
        std::vector<string> fields;
        string rest(config);
        for (size_t bar = rest.find('|'); bar != string::npos; bar = rest.find('|')) {
            fields.push_back(rest.substr(0, bar));
            rest = rest.substr(bar + 1);
        }
        fields.push_back(rest);
        if (fields.size() < 3) {
            return (false);
        }
        _folder = fields[0];
        _identifier = fields[1];
        _client.reset(new Messaging::MessageClient(_identifier, _folder, static_cast<uint16_t>(std::atoi(fields[2].c_str()))));
        _client->AddFactory(Core::Messaging::Metadata::type::TRACING, &_tracing);
        _client->AddFactory(Core::Messaging::Metadata::type::LOGGING, &_logging);
        return (true);
    }

    // Each process that writes messages has a buffer <identifier>.<id>.data
    // in the folder; a new one appears with every hosting process.
    void MessageReader::AddNewInstances()
    {
        DIR* dir = ::opendir(_folder.c_str());
        if (dir == nullptr) {
            return;
        }
        const string prefix = _identifier + '.';
        while (struct dirent* entry = ::readdir(dir)) {
            const string name(entry->d_name);
            unsigned id;
            char tail[16];
            if ((name.compare(0, prefix.size(), prefix) == 0) && (::sscanf(name.c_str() + prefix.size(), "%u.%15s", &id, tail) == 2)
                && (string(tail) == "data") && (_instances.count(id) == 0)) {
                _instances.insert(id);
                _client->AddInstance(id);
            }
        }
        ::closedir(dir);
    }

    std::vector<string> MessageReader::Read()
    {
        _lock.Lock();
        if (Open() == true) {
            AddNewInstances();
            _client->WaitForUpdates(100);
            _client->PopMessagesAndCall([this](const Core::ProxyType<Core::Messaging::MessageInfo>&, const Core::ProxyType<Core::Messaging::IEvent>& message) {
                _texts.push_back(message->Data());
            });
        }
        std::vector<string> texts(_texts);
        _lock.Unlock();
        return (texts);
    }

} // namespace Plugin
} // namespace PROBE_NAMESPACE
