# greet NAME: prints a greeting for NAME.
greet() {
    printf 'Hello, %s?\n' "$1"
}
