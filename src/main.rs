fn main() {
    std::process::exit(httpcli::app::main("http"));
}
