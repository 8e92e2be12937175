#include "server/server_core.hpp"

namespace piw::server::detail {

void SessionRegistry::add(SessionBase& session) {
    std::lock_guard lock(mutex_);
    session.previous_ = nullptr;
    session.next_ = head_;
    if (head_ != nullptr) head_->previous_ = &session;
    head_ = &session;
}

void SessionRegistry::remove(SessionBase& session) {
    std::lock_guard lock(mutex_);
    if (session.previous_ != nullptr) {
        session.previous_->next_ = session.next_;
    } else if (head_ == &session) {
        head_ = session.next_;
    } else {
        return;  // never added
    }
    if (session.next_ != nullptr) session.next_->previous_ = session.previous_;
    session.previous_ = session.next_ = nullptr;
}

}  // namespace piw::server::detail
