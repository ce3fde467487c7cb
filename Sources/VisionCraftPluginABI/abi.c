// The plugin ABI is a header (include/visioncraft_plugin.h, a link to
// Protocol/visioncraft_plugin.h); this file gives the target something to
// compile and checks the header stands alone.
#include "visioncraft_plugin.h"

_Static_assert(VC_PLUGIN_ABI_MAJOR == 1, "the host is written for ABI 1");
_Static_assert(sizeof(vc_image) >= 24, "vc_image keeps its fields");
