#!/bin/sh
# First start: database, keys and the bootstrap admin (roles admin > member > reader, RegionOne and
# the identity endpoints). Every start: gunicorn. novaflow's projects, users and the compute endpoint
# are added by the compose `keystone-seed` service through Keystone's API.
set -e
mkdir -p /var/lib/keystone
if [ ! -f /var/lib/keystone/keystone.db ]; then
  keystone-manage db_sync
  keystone-manage fernet_setup --keystone-user root --keystone-group root
  keystone-manage credential_setup --keystone-user root --keystone-group root
  keystone-manage bootstrap --bootstrap-password "$KEYSTONE_ADMIN_PASSWORD" \
    --bootstrap-region-id RegionOne \
    --bootstrap-admin-url "$KEYSTONE_PUBLIC_URL" \
    --bootstrap-internal-url "$KEYSTONE_PUBLIC_URL" \
    --bootstrap-public-url "$KEYSTONE_PUBLIC_URL"
fi
exec gunicorn
