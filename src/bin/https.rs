fn main() {
    std::process::exit(httpcli::app::main("https"));
}
