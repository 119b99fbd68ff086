# syntax=docker/dockerfile:1.7
# Liftoff: build once, run with production dependencies only, as a non-root user.
# Node 22 LTS: the Google Cloud client libraries declare node >= 22.

FROM node:22-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary is reachable.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
# The production entry (src/bot/main.ts) serves Slack only: the sandbox and its emulators are not built or shipped.
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
# A font, so the /metrics chart has its labels (resvg draws no text without one).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json manifest.yml ./
COPY --chown=node:node runbooks ./runbooks
# The embedded store's directory (LIFTOFF_DATA_DIR's default, `.liftoff` under WORKDIR), writable by the app user.
RUN mkdir .liftoff && chown node:node .liftoff
USER node
ENV PORT=8080
EXPOSE 8080
# Liftoff serving Slack, compiled: no TypeScript loader in production. With no Slack credentials it refuses to
# start and says so (`npm start`'s sandbox fallback is for a clone, not the image).
CMD ["node", "dist/src/bot/main.js"]
