/* UUIDs through libuuid (see uuid4.h). */
#include "uuid4.h"

#include <uuid/uuid.h>

void uuid4_new(uint8_t out[16])
{
	uuid_generate_random(out);
}

void uuid4_format(const uint8_t id[16], char out[37])
{
	uuid_unparse_lower(id, out);
}

void uuid1_string(char out[37])
{
	uuid_t u;
	uuid_generate_time(u);
	uuid_unparse_lower(u, out);
}
