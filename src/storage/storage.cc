// storage.h is a pure interface; this file gives skua_storage_api a translation unit so it can be
// an ordinary library that backends and users link against (and that checks the header compiles).
#include "storage/storage.h"
