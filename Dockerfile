# syntax=docker/dockerfile:1
# backup-auditor as a container image, for scheduled scans (deploy/README.md).
#
#   docker build -t backup-auditor .
#   docker run --rm backup-auditor --version
#   docker run --rm -v "$PWD/samples:/samples:ro" backup-auditor scan /samples/org --out /tmp/out
#
# The binary is exactly what the README's build makes: `cargo build --release --locked`, from
# this repository and its Cargo.lock (tests/deploy.rs keeps this file and the README in step).

# Stable toolchain by default; `--build-arg RUST_VERSION=1.89` pins one (rust-version in
# Cargo.toml is the oldest that builds it).
ARG RUST_VERSION=1

FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
# The whole repository less .dockerignore: templates and rules are compiled into the binary,
# and Cargo.toml names the test and bench targets, which must exist for the manifest to load.
COPY . .
# --locked: the crates of Cargo.lock and no others, or the build fails.
RUN cargo build --release --locked \
    && install -D -m 0755 target/release/backup-auditor /out/backup-auditor

# Debian 12's glibc (as in the builder), libgcc and CA certificates, with no shell and no
# package manager; its user 65532 ("nonroot") owns /home/nonroot.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=build /out/backup-auditor /usr/local/bin/backup-auditor
# The default rules are also embedded in the binary; shipped as files so that a run can name
# them beside its own (`--rules /usr/share/backup-auditor/rules/default --rules my-rules/`).
COPY --from=build /src/rules /usr/share/backup-auditor/rules
# The AWS SDK verifies TLS against the system's roots, which the distroless base provides at
# this path; copied from the builder's Debian as well so the image never runs without them.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/backup-auditor"]
CMD ["--help"]
