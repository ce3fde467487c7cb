// libpng, found through pkg-config (libpng-dev on Debian, libpng on Homebrew).
#include <png.h>
