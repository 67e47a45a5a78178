/*
 * A listening TCP socket with SO_REUSEPORT, for Node versions whose `net` cannot ask for it
 * (before 22.12). Each shard thread opens its own socket on the same port and hands the
 * descriptor to `net.Server.listen({ fd })`; the kernel then spreads incoming connections over
 * the shards' accept queues. Every descriptor has exactly one owner, so a shard that closes its
 * listener closes nothing another shard still uses.
 *
 * listen(host: string, port: number, backlog: number): number  (the descriptor)
 * Throws an Error whose code is the errno name (EADDRINUSE, EACCES, ...).
 */
#include <node_api.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The errno names a listen can meet, as Node names them in err.code (strerrorname_np would do it
 * for all of them, but only from glibc 2.32 on, and not on musl). */
static const char *errno_name(int err) {
  switch (err) {
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOBUFS: return "ENOBUFS";
    case ENOMEM: return "ENOMEM";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    default: return "ERR_SOCKET";
  }
}

static napi_value fail(napi_env env, const char *what, int err) {
  char message[320];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, errno_name(err), message);
  return NULL;
}

static napi_value listen_reuseport(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) {
    napi_throw_type_error(env, NULL, "listen(host, port, backlog)");
    return NULL;
  }
  char host[256];
  size_t host_len = 0;
  int32_t port = -1;
  int32_t backlog = 0;
  if (napi_get_value_string_utf8(env, argv[0], host, sizeof host, &host_len) != napi_ok ||
      host_len >= sizeof host - 1 || napi_get_value_int32(env, argv[1], &port) != napi_ok ||
      napi_get_value_int32(env, argv[2], &backlog) != napi_ok || port < 0 || port > 65535 || backlog < 1) {
    napi_throw_type_error(env, NULL, "listen(host: string, port: 0..65535, backlog: >= 1)");
    return NULL;
  }

  char service[8];
  snprintf(service, sizeof service, "%d", port);
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  struct addrinfo *found = NULL;
  int gai = getaddrinfo(host, service, &hints, &found);
  if (gai != 0) {
    char message[320];
    snprintf(message, sizeof message, "getaddrinfo %s: %s", host, gai_strerror(gai));
    napi_throw_error(env, "ENOTFOUND", message);
    return NULL;
  }

  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int err = errno;
    freeaddrinfo(found);
    return fail(env, "socket", err);
  }
  const int on = 1;
  const char *step = NULL;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) step = "setsockopt SO_REUSEADDR";
  else if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) step = "setsockopt SO_REUSEPORT";
  else if (bind(fd, found->ai_addr, found->ai_addrlen) != 0) step = "bind";
  else if (listen(fd, backlog) != 0) step = "listen";
  int err = errno;
  freeaddrinfo(found);
  if (step != NULL) {
    close(fd);
    return fail(env, step, err);
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "listen", NAPI_AUTO_LENGTH, listen_reuseport, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "listen", fn) != napi_ok) return NULL;
  return exports;
}
