# The scratch example with a health check whose port comes from the
# environment, in the exec form a scratch image can run: no shell expands
# ${PORT:-8080}, probe does. The app listens on 9000.
ARG EXAMPLE_IMAGE=probe-example
FROM ${EXAMPLE_IMAGE}
# --start-period is set: left out, the base image's 30s would still apply.
HEALTHCHECK --interval=5s --timeout=3s --start-period=1s --retries=1 \
  CMD ["/probe", "--timeout", "2s", "http://127.0.0.1:${PORT:-8080}/healthz"]
ENTRYPOINT ["/probe", "exec", "--drain-delay", "0s", "--", "/app", "-listen", ":9000"]
