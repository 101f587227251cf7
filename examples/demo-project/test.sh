#!/bin/sh
# The demo project's test: greet must end its greeting with "!".
. ./greet.sh
got=$(greet world)
want='Hello, world!'
if [ "$got" = "$want" ]; then
    echo "ok: greet world"
else
    echo "FAIL: greet world: got '$got', want '$want'"
    exit 1
fi
