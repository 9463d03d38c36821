# syntax=docker/dockerfile:1
# The skillopt worker for production (see docker-compose.yml): it connects to
# Temporal with the standard client settings (TEMPORAL_ADDRESS,
# TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS) and to the store at
# SKILLOPT_DATABASE_URL. Scale out by running more containers.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary fits the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# Dependencies first, in their own layer, so a source change does not reinstall them.
# --ignore-scripts: the package's own `prepare` (= build) needs the sources, which
# are not here yet; `npm rebuild` then runs the dependencies' install scripts only.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# The whole pruned tree, not just dist/: the worker may load files next to its
# bundle at run time (e.g. workflow sources for Temporal's bundler).
COPY --from=build /app /app
# The image's unprivileged `node` user; its home holds SKILLOPT_HOME (~/.skillopt).
USER node
CMD ["node", "dist/worker.mjs"]
