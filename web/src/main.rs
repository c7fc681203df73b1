//! The lab's entry point (see the library for everything else).

#![forbid(unsafe_code)]

fn main() {
    distlab_web::start();
}
