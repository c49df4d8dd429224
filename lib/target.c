#include "config.h"
/* placeholder: being written */
typedef int hs_placeholder_target;
