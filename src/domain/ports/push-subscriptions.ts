/** A browser's Web Push subscription (PushSubscription.toJSON() in the browser). */
export interface PushSubscriptionRecord {
  id: string;
  userId: string;
  endpoint: string;
  /** The browser's P-256 public key, base64url (65 bytes uncompressed). */
  p256dh: string;
  /** The browser's auth secret, base64url (16 bytes). */
  auth: string;
  createdAt: Date;
}

export interface PushSubscriptionRepository {
  /**
   * Stores the subscription for the user. The same endpoint again replaces the earlier row,
   * whoever owned it (the browser now belongs to this user); beyond `maxPerUser` the user's
   * oldest subscriptions are dropped.
   */
  save(userId: string, sub: { endpoint: string; p256dh: string; auth: string }, maxPerUser: number): Promise<PushSubscriptionRecord>;
  list(userId: string): Promise<PushSubscriptionRecord[]>;
  /** The user's own subscription only; false when there is none with that id. */
  remove(userId: string, id: string): Promise<boolean>;
  /** The push service said the subscription is gone (404/410). */
  removeExpired(id: string): Promise<void>;
  forUsers(userIds: string[]): Promise<PushSubscriptionRecord[]>;
  /** Members of these rooms who have at least one subscription, and whether they muted the room (mentions still push). */
  recipients(roomIds: string[]): Promise<{ roomId: string; userId: string; muted: boolean }[]>;
}
