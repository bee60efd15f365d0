# syntax=docker/dockerfile:1
#
# Steward: one image for the HTTP API, the Temporal worker and the migrations.
#   docker run IMAGE                 -> npm run api     (default)
#   docker run IMAGE npm run worker  -> Temporal worker
#   docker run IMAGE npm run migrate -> apply knex migrations, then exit
# TypeScript runs through tsx (a regular dependency): there is no build step.
FROM node:20-bookworm-slim

# package.json carries npm 11's `allowScripts` field and the lockfile was written by npm 11;
# node:20 ships npm 10, which would ignore allowScripts and run every install script. Use the
# same npm major as the developers and CI do.
ARG NPM_VERSION=11.19.1
RUN npm install -g "npm@${NPM_VERSION}" \
 && npm cache clean --force

ENV NODE_ENV=production \
    PORT=4000 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# Dependencies first so that source edits don't invalidate this layer.
# (embedded-postgres is a dependency used only for local development; it stays installed
# here, unused: the container always gets DATABASE_URL.)
COPY package.json package-lock.json ./
RUN npm ci --omit=dev \
 && npm cache clean --force

# Sources stay root-owned (read-only for the app); only the data dir is writable by `node`.
COPY . .
RUN mkdir -p /app/.data && chown node:node /app/.data

USER node

EXPOSE 4000

# Only meaningful for the API; compose disables it for the worker and migrate services.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://localhost:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["npm", "run", "api"]
