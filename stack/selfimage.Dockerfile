FROM scratch
COPY prodlike /prodlike
USER 65534:65534
ENTRYPOINT ["/prodlike"]
