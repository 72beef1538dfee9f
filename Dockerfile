# Builds the API as a static binary and runs it as an unprivileged user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/api ./cmd/api

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/api /api
ENV HTTP_ADDR=:8080 APP_ENV=production DATA_DIR=/tmp/data
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/api"]
