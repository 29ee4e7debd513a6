# One image for every novaflow process; the compose file picks the entry point.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# The Temporal CLI is not needed in the image: compose runs a real Temporal cluster.
RUN npm ci --ignore-scripts && npm cache clean --force
COPY . .
ENV NODE_ENV=production
EXPOSE 8774
CMD ["node", "--import", "tsx", "api/main.ts"]
