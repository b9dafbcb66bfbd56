import multer from "multer";
import { Invalid } from "../../domain/errors.js";
import { AVATAR_MAX_BYTES, getMe, getUser, openAvatar, searchUsers, setAvatar, updateMe, type UserDeps } from "../../domain/users.js";
import { Binary, IdParams } from "../../protocol/common.js";
import { AvatarParams, UpdateMeBody, UserPage, UserReply, UserSearchQuery } from "../../protocol/users.js";
import { defineRoute, type RouteKit } from "../route.js";

export function registerUserRoutes(kit: RouteKit, deps: UserDeps) {
  const tag = "users";
  const avatarUpload = multer({ storage: multer.memoryStorage(), limits: { fileSize: AVATAR_MAX_BYTES, files: 1, fields: 5 } });

  defineRoute(kit, { method: "get", path: "/me", summary: "The caller's own profile", tag, responses: { 200: { description: "Profile", schema: UserReply } } }, async ({ auth }) => ({
    status: 200,
    body: { user: await getMe(deps, auth.userId) },
  }));

  defineRoute(
    kit,
    {
      method: "patch",
      path: "/me",
      summary: "Edit display name or status message",
      tag,
      body: UpdateMeBody,
      responses: { 200: { description: "Updated profile", schema: UserReply } },
    },
    async ({ auth, body }) => ({ status: 200, body: { user: await updateMe(deps, auth.userId, body) } }),
  );

  defineRoute(
    kit,
    {
      method: "put",
      path: "/me/avatar",
      summary: "Upload an avatar (png, jpeg or webp, at most 5 MiB; the type is read from the bytes)",
      tag,
      multipart: { avatar: "file" },
      middleware: [avatarUpload.single("avatar")],
      responses: { 200: { description: "Updated profile", schema: UserReply } },
    },
    async ({ auth, req }) => {
      if (!req.file) throw new Invalid("multipart field `avatar` is required", [{ path: "avatar", message: "is required" }]);
      return { status: 200, body: { user: await setAvatar(deps, auth.userId, req.file.buffer) } };
    },
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/avatars/:key",
      summary: "Avatar image bytes (public, immutable URL)",
      tag,
      auth: false,
      params: AvatarParams,
      responses: { 200: { description: "Image", schema: Binary, contentType: "image/*" } },
    },
    async ({ params, res }) => {
      const avatar = await openAvatar(deps, params.key);
      res.setHeader("Content-Type", avatar.contentType);
      res.setHeader("Content-Length", String(avatar.size));
      res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
      res.setHeader("X-Content-Type-Options", "nosniff");
      avatar.stream.pipe(res);
      return undefined;
    },
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/users",
      summary: "Search users by display name (substring) or exact email",
      tag,
      query: UserSearchQuery,
      responses: { 200: { description: "A page of users", schema: UserPage } },
    },
    async ({ auth, query }) => ({ status: 200, body: await searchUsers(deps, auth.userId, { q: query.q, limit: query.limit, cursor: query.cursor ?? null }) }),
  );

  defineRoute(
    kit,
    { method: "get", path: "/users/:id", summary: "A user's public profile", tag, params: IdParams, responses: { 200: { description: "Profile", schema: UserReply } } },
    async ({ auth, params }) => ({ status: 200, body: { user: await getUser(deps, auth.userId, params.id) } }),
  );
}
