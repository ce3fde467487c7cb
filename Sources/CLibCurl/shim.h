// libcurl, found through pkg-config (libcurl4-openssl-dev on Debian, curl on Homebrew).
#include <curl/curl.h>
